using Skald.Data.Ingest.Readers;

namespace Skald.Data.Tests;

/// <summary>A fact that needs OCR (tesseract with Norwegian, and pdftoppm), and with <see cref="Orientation"/> tesseract's
/// orientation data (osd); skipped with the reason and the install line where they are missing.</summary>
public sealed class OcrFactAttribute : FactAttribute
{
    /// <summary>The test needs tesseract's orientation detection (osd.traineddata).</summary>
    public bool Orientation { get; set; }

    /// <inheritdoc/>
    public override string? Skip
    {
        get
        {
            if (base.Skip is { } skip) return skip;
            var ocr = new Ocr(true, "nor");
            if (ocr.Unavailable is { } reason) return $"OCR cannot run here: {reason}";
            return Orientation && !ocr.DetectsOrientation
                ? "OCR cannot tell which way a picture faces here: tesseract has no orientation data (apt-get install tesseract-ocr-osd)"
                : null;
        }
        set => base.Skip = value;
    }
}
