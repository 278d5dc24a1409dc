namespace Skald.Data.Ingest.Readers;

/// <summary>
/// Image files (.png, .jpg/.jpeg, .tif/.tiff: a scan, a photographed page, a screenshot): the text <see cref="Ocr"/>
/// reads, split into paragraphs at blank lines. Without OCR, or when it fails on the picture, the file is a
/// <see cref="DataException"/> saying what to install or what failed (<see cref="DataException.UnreadPictures"/>: listed
/// as skipped, without text, not damaged).
/// </summary>
public static class ImageReader
{
    /// <summary>The extensions read (lower case, with the dot).</summary>
    public static readonly IReadOnlySet<string> Extensions = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { ".png", ".jpg", ".jpeg", ".tif", ".tiff" };

    /// <summary>The paragraphs OCR reads in the image at <paramref name="path"/>; <paramref name="progress"/> hears when it is read.</summary>
    public static List<DocumentBlock> Read(string path, Ocr ocr, Action<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(ocr);
        if (ocr.Unavailable is { } reason) throw new DataException($"{path}: an image, not read: {reason}") { UnreadPictures = true };
        try
        {
            var blocks = PlainTextReader.Paragraphs(ocr.ReadImage(path));
            progress?.Invoke($"{path}: read by OCR");
            return blocks;
        }
        catch (DataException e)
        {
            throw new DataException($"{path}: {e.Message}", e) { UnreadPictures = true };
        }
    }
}
