using System.CommandLine;
using Skald.Data;
using Skald.Data.Ingest.Readers;

namespace Skald.Cli.CommandLine;

/// <summary><c>--ocr auto|off</c> and <c>--ocr-languages</c>: how the verbs that read documents treat scanned PDF pages and image files (<see cref="Ocr"/>).</summary>
internal sealed class OcrOptions
{
    /// <summary>--ocr auto|off.</summary>
    public Option<string> Mode { get; } = CliOptions.Choice("--ocr",
        "Scanned PDF pages (no text layer) and images: auto reads them with tesseract (and pdftoppm for PDF pages) when installed; off lists them as not read", "auto", "auto", "off");

    /// <summary>--ocr-languages CODES.</summary>
    public Option<string> Languages { get; } = CliOptions.Text("--ocr-languages",
        "Tesseract languages for scanned pages and images, joined by '+' (the installed ones are used)", "CODES", Ocr.DefaultLanguages);

    /// <summary>Both options, to add to a command.</summary>
    public IEnumerable<Option> All => [Mode, Languages];

    /// <summary>The OCR settings given; a malformed language list is a <see cref="UsageException"/>.</summary>
    public Ocr From(ParseResult p)
    {
        try
        {
            return new Ocr(p.GetValue(Mode) != "off", p.GetValue(Languages) ?? Ocr.DefaultLanguages);
        }
        catch (DataException e)
        {
            throw new UsageException($"--ocr-languages: {e.Message}");
        }
    }
}
