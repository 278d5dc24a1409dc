using Skald.Data.Ingest.Readers;

namespace Skald.Data.Tests;

/// <summary>A fact that needs OCR (tesseract with Norwegian, and pdftoppm); skipped with the reason and the install line where they are missing.</summary>
public sealed class OcrFactAttribute : FactAttribute
{
    /// <inheritdoc/>
    public override string? Skip
    {
        get => base.Skip ?? (new Ocr(true, "nor").Unavailable is { } reason ? $"OCR cannot run here: {reason}" : null);
        set => base.Skip = value;
    }
}
