using System.Globalization;

namespace Skald.Data.Ingest.Readers;

/// <summary>
/// What Tesseract's orientation and script detection (<c>tesseract IMAGE stdout --psm 0</c>) says of a picture:
/// <see cref="Rotate"/>, the clockwise turn in degrees (0, 90, 180 or 270) that sets its text upright, and
/// <see cref="Confidence"/>, by how much the best of the four orientations scored over the next (Tesseract's margin).
/// </summary>
/// <param name="Rotate">The clockwise turn, in degrees, that sets the text upright.</param>
/// <param name="Confidence">The best orientation's score less the second best's.</param>
internal readonly record struct PageOrientation(int Rotate, double Confidence)
{
    /// <summary>The orientation in Tesseract's <c>--psm 0</c> report (its "Rotate:" and "Orientation confidence:" lines), or null when either is missing or malformed.</summary>
    public static PageOrientation? Parse(string report)
    {
        ArgumentNullException.ThrowIfNull(report);
        int? rotate = null;
        double? confidence = null;
        foreach (var raw in report.Split('\n'))
        {
            string line = raw.Trim();
            if (Value(line, "Rotate:") is { } r && int.TryParse(r, NumberStyles.Integer, CultureInfo.InvariantCulture, out int turn)
                && turn is 0 or 90 or 180 or 270)
                rotate = turn;
            else if (Value(line, "Orientation confidence:") is { } c
                && double.TryParse(c, NumberStyles.Float, CultureInfo.InvariantCulture, out double margin) && double.IsFinite(margin))
                confidence = margin;
        }
        return rotate is { } t && confidence is { } m ? new PageOrientation(t, m) : null;
    }

    private static string? Value(string line, string key) =>
        line.StartsWith(key, StringComparison.Ordinal) ? line[key.Length..].Trim() : null;
}
