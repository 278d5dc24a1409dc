using System.CommandLine;
using System.Globalization;
using Skald.Cli.CommandLine;
using Skald.Data.Generation;
using Skald.Data.Ingest;
using Skald.Tokenizers;

namespace Skald.Cli.Commands;

/// <summary>
/// <c>skald data generate</c>: documents → chunks → (query, passage) pairs, written as a BEIR folder plus pairs.jsonl
/// for <c>skald train</c>. The generator is ICT (pseudo-queries from the documents, offline) or an LLM endpoint.
/// </summary>
internal sealed class DataGenerateCommand : Command
{
    private readonly Option<string> documents = CliOptions.Text("--documents", "Documents: files or folders (searched recursively), comma-separated; .txt .md .html .docx .pdf .jsonl", "PATH[,PATH...]", required: true);
    private readonly Option<string> output = CliOptions.Text("--output", "Folder to write corpus.jsonl, queries.jsonl, qrels/ and pairs.jsonl to (replaced when it holds an earlier output)", "DIR", required: true);
    private readonly Option<string> generator = CliOptions.Choice("--generator", "ict: a sentence of each chunk as its query and headings as queries of their section, no model needed", "ict", "ict");
    private readonly Option<string> tokenizer = CliOptions.Text("--tokenizer", "Count chunk lengths in tokens of this tokenizer.json or model folder (default: words)", "FILE_OR_DIR");
    private readonly Option<int?> chunkTokens = CliOptions.Int("--chunk-tokens", "Largest chunk, in tokens", defaultValue: 256);
    private readonly Option<int?> overlapTokens = CliOptions.Int("--overlap-tokens", "Trailing sentences up to this many tokens start the next chunk too", min: 0, defaultValue: 32);
    private readonly Option<string> textColumn = CliOptions.Text("--text-column", "The text field of .jsonl documents", "NAME", "text");
    private readonly Option<int?> perChunk = CliOptions.Int("--questions-per-chunk", "Queries per chunk (default: 1 for ict)");
    private readonly Option<bool> noHeadings = CliOptions.Flag("--no-headings", "ict: do not pair headings with their section");
    private readonly Option<double?> testFraction = CliOptions.Number("--test-fraction", "Share of queries held out in qrels/test.tsv (not in pairs.jsonl), for evaluation", v => v is >= 0 and < 1, "a number in [0, 1)", defaultValue: 0);
    private readonly Option<int?> minWords = CliOptions.Int("--min-query-words", "Drop queries with fewer words", defaultValue: 4);
    private readonly Option<int?> maxWords = CliOptions.Int("--max-query-words", "Drop queries with more words", defaultValue: 64);
    private readonly Option<int?> seed = CliOptions.Int("--seed", "Seed of every random choice", min: 0, defaultValue: 42);

    public DataGenerateCommand() : base("generate", "Make training and evaluation data from a folder of documents (BEIR folder + pairs.jsonl)")
    {
        foreach (var o in new Option[] { documents, output, generator, tokenizer, chunkTokens, overlapTokens, textColumn, perChunk, noHeadings, testFraction, minWords, maxWords, seed })
            Options.Add(o);
        SetAction(Run);
    }

    private int Run(ParseResult p)
    {
        bool quiet = p.GetValue(CliOptions.Quiet);
        var chunking = new ChunkOptions
        {
            ChunkTokens = p.GetValue(chunkTokens) ?? 256,
            OverlapTokens = p.GetValue(overlapTokens) ?? 32,
            Counter = Counter(p.GetValue(tokenizer)),
        };
        var ingest = DocumentIngest.Ingest(CliOptions.Items(p.GetValue(documents)), chunking, p.GetValue(textColumn)!);
        if (!quiet)
        {
            foreach (var s in ingest.Skipped) Console.Error.WriteLine($"skipped {s.Path}: {s.Reason}");
            Console.WriteLine($"{ingest.Documents.Count} document(s), {ingest.Chunks.Count} chunk(s) of at most {chunking.ChunkTokens} {chunking.Counter.Name}");
        }
        var filter = new FilterOptions { MinQueryWords = p.GetValue(minWords) ?? 4, MaxQueryWords = p.GetValue(maxWords) ?? 64 };
        int s0 = p.GetValue(seed) ?? 42;
        GeneratedSet set = IctGenerator.Generate(ingest.Chunks, new IctOptions
            {
                QueriesPerChunk = p.GetValue(perChunk) ?? 1, HeadingPairs = !p.GetValue(noHeadings), Seed = s0, Filter = filter,
            });
        var (train, test) = BeirWriter.Write(set, p.GetValue(output)!, p.GetValue(testFraction) ?? 0, s0);
        if (!quiet)
        {
            if (set.Filtered.Count > 0)
                Console.WriteLine("filtered: " + string.Join(", ", set.Filtered.OrderBy(k => k.Key, StringComparer.Ordinal).Select(k => $"{k.Value} {k.Key}")));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"wrote {p.GetValue(output)}: {set.Corpus.Count} passages, {train} training queries{(test > 0 ? $", {test} held out (qrels/test.tsv)" : "")}, pairs.jsonl"));
        }
        return 0;
    }

    /// <summary>The chunk-length counter: a tokenizer's tokens, or words.</summary>
    internal static TokenCounter Counter(string? path)
    {
        if (path is null) return TokenCounter.Words;
        string file = Directory.Exists(path) ? Path.Combine(path, "tokenizer.json") : path;
        if (!File.Exists(file)) throw new FileNotFoundException($"{file}: tokenizer not found");
        return TokenCounter.For(Tokenizer.FromFile(file), file);
    }
}
