using System.Diagnostics;
using System.Globalization;
using Skald.Bench.Pdf;
using Skald.Data.Ingest.Readers;
using UglyToad.PdfPig;
using UglyToad.PdfPig.Content;
using UglyToad.PdfPig.DocumentLayoutAnalysis.TextExtractor;

// bench/pdf: what finding tables costs a PDF read. Prints two HTML documents of the same prose with headless Chromium,
// one with a table on every page and one with the tables' words as paragraphs, and times, round by round, the whole read
// (PdfReader.Read) and its per-page stages on pages already parsed: the text extractor alone, PdfTables.Find alone, and
// PdfPageLines.Of (the extractor, the letters' lines and the tables). See README.md.
var opts = Args.Parse(args);
Directory.CreateDirectory(opts.Dir);
var docs = new List<(string Name, string Path)>();
foreach (int pages in opts.Pages)
{
    foreach (string kind in new[] { "tables", "prose", "dense" })
    {
        string name = $"{kind}-{pages}";
        string html = Path.Combine(opts.Dir, name + ".html"), pdf = Path.Combine(opts.Dir, name + ".pdf");
        if (!File.Exists(pdf))
        {
            File.WriteAllText(html, kind == "dense" ? Html.Dense(pages) : Html.Document(pages, kind == "tables"));
            Print(html, pdf);
        }
        docs.Add((name, pdf));
    }
}
var results = docs.ToDictionary(d => d.Name, _ => new List<double[]>());
for (int round = 0; round < opts.Rounds; round++)
{
    foreach (var (name, path) in docs) results[name].Add(Measure(path));
}
foreach (var (name, path) in docs)
{
    using var doc = PdfDocument.Open(path);
    var rows = results[name];
    double Median(int k) => rows.Select(r => r[k]).Order().ElementAt(rows.Count / 2);
    int n = doc.NumberOfPages, found = 0, rowsFound = 0;
    foreach (var page in doc.GetPages())
    {
        var tables = PdfTables.Find(page);
        found += tables.Count;
        rowsFound += tables.Sum(t => t.Count);
    }
    int rowsRead = PdfReader.Read(path, Ocr.Off, []).Count(b => b.Kind == Skald.Data.Ingest.BlockKind.TableRow);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{{\"document\":\"{name}\",\"pages\":{n},\"tables\":{found},\"table_rows\":{rowsFound},\"rows_read\":{rowsRead},\"read_pages_per_s\":{n / Median(0):F1},\"read_cpu_pages_per_s\":{n / Median(1):F1}," +
        $"\"extractor_ms_per_page\":{1000 * Median(2) / n:F2},\"words_ms_per_page\":{1000 * Median(3) / n:F2},\"find_tables_ms_per_page\":{1000 * Median(4) / n:F2}," +
        $"\"page_lines_ms_per_page\":{1000 * Median(5) / n:F2}}}"));
}

// One round on one file: [read wall s, read CPU s, extractor s, words s, find s, page lines s] (stages timed in CPU seconds over
// pages parsed first; PdfTables.Find gets the page's words itself, so its own cost is find less words).
static double[] Measure(string path)
{
    var clock = Stopwatch.StartNew();
    var cpu = Process.GetCurrentProcess().TotalProcessorTime;
    PdfReader.Read(path, Ocr.Off, []);
    double read = clock.Elapsed.TotalSeconds, readCpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
    using var doc = PdfDocument.Open(path);
    var pages = doc.GetPages().ToList();
    foreach (var page in pages) _ = page.GetWords().Count(); // parse once before the stages are timed
    const int StageRepeats = 4; // each stage runs this many times over the pages (the process's CPU clock ticks in 10 ms steps)
    double Time(Action<Page> stage) // process CPU seconds (fair on a shared host)
    {
        var before = Process.GetCurrentProcess().TotalProcessorTime;
        for (int rep = 0; rep < StageRepeats; rep++)
        {
            foreach (var page in pages) stage(page);
        }
        return (Process.GetCurrentProcess().TotalProcessorTime - before).TotalSeconds / StageRepeats;
    }
    return [read, readCpu, Time(p => ContentOrderTextExtractor.GetText(p)), Time(p => p.GetWords().Count()), Time(p => PdfTables.Find(p)),
        Time(p => PdfPageLines.Of(p))];
}

static void Print(string html, string pdf)
{
    var psi = new ProcessStartInfo("/usr/bin/chromium") { RedirectStandardError = true, RedirectStandardOutput = true };
    foreach (var a in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        $"--user-data-dir={Path.Combine(Path.GetTempPath(), "skald-bench-pdf-chromium")}", "--no-pdf-header-footer", $"--print-to-pdf={pdf}", new Uri(html).AbsoluteUri })
        psi.ArgumentList.Add(a);
    using var p = Process.Start(psi)!;
    p.StandardError.ReadToEndAsync();
    p.StandardOutput.ReadToEnd();
    if (!p.WaitForExit(600_000) || !File.Exists(pdf)) throw new InvalidOperationException($"chromium did not print {pdf}");
}
