namespace Skald.Data;

/// <summary>A problem with the user's documents, data files or options: the message is one line naming the file.</summary>
public sealed class DataException(string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>
    /// Whether the file's text lies in pictures that OCR could not read here (an image file, a PDF of scanned pages:
    /// OCR off or not installed, or tesseract failed on it), so that it is a file without text until OCR can read more,
    /// not a damaged one (<c>SkippedFile.Failed</c> false).
    /// </summary>
    public bool UnreadPictures { get; init; }
}
