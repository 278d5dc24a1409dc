using System.Diagnostics;

namespace Skald.Data.Tests;

/// <summary>
/// Pictures of our own text for the OCR tests: typeset in a PDF (<see cref="TestDocuments"/>) and rendered by pdftoppm,
/// upright or turned (the text page given a /Rotate before rendering), so no binary fixture is kept.
/// </summary>
internal static class OcrPictures
{
    /// <summary>Eight lines of a letter: enough text for tesseract's orientation detection to be sure of a page.</summary>
    public static readonly string[] LetterLines =
    [
        "Kommunen har vedtatt en ny rute for skolebussen fra august.",
        "Elevene hentes ved holdeplassen nedenfor kirken hver morgen.",
        "Bussen kjører ikke i vinterferien eller på helligdager.",
        "Sjåføren venter ikke når barna kommer for sent til bussen.",
        "Foreldre som har spørsmål kan ringe rektor etter klokka tolv.",
        "Ruten gjelder fra første skoledag etter sommerferien.",
        "Den gamle holdeplassen ved butikken blir lagt ned.",
        "Vi ber alle om å gi beskjed dersom barnet skal være hjemme.",
    ];

    /// <summary>A PNG picture of <paramref name="lines"/> typeset on an A4 page, at 200 dpi.</summary>
    public static string Picture(string dir, string name, params string[] lines) => Turned(dir, name, 0, lines);

    /// <summary>
    /// A PNG picture of <paramref name="lines"/> typeset on an A4 page, at 200 dpi, turned clockwise by
    /// <paramref name="turn"/> degrees (90: the lines run down the picture; 180: upside down).
    /// </summary>
    public static string Turned(string dir, string name, int turn, params string[] lines)
    {
        string text = TestDocuments.TurnedPdf(dir, $"tekst-{name}.pdf", turn, lines);
        string image = Path.Combine(dir, name);
        var psi = new ProcessStartInfo("pdftoppm") { RedirectStandardError = true };
        foreach (var a in new[] { "-r", "200", "-gray", "-png", "-singlefile", text, image }) psi.ArgumentList.Add(a);
        using (var p = Process.Start(psi)!)
        {
            p.WaitForExit();
            Assert.Equal(0, p.ExitCode);
        }
        return image + ".png";
    }

    /// <summary>The words of <paramref name="text"/> joined by single spaces (OCR's line breaks differ from the typesetting's).</summary>
    public static string Words(string text) => string.Join(' ', text.Split((char[])[' ', '\n'], StringSplitOptions.RemoveEmptyEntries));

    /// <summary>Asserts that <paramref name="text"/> holds each of <paramref name="lines"/> (as the PDF spells them), in order.</summary>
    public static void AssertReadsInOrder(string text, IEnumerable<string> lines)
    {
        string words = Words(text);
        int at = 0;
        foreach (var line in lines)
        {
            int found = words.IndexOf(Words(TestDocuments.PdfText(line)), at, StringComparison.Ordinal);
            Assert.True(found >= 0, $"\"{line}\" is not read (in order) in: {words}");
            at = found + 1;
        }
    }
}
