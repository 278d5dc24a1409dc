using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Skald.Cli.CommandLine;
using Skald.Cli.IO;
using Skald.Cli.Output;
using Skald.Models;
using Skald.Retrieval.Data;
using Skald.Retrieval.Mining;
using Counted = Skald.Tokenizers.Serialization.Counted;

namespace Skald.Cli.Commands;

/// <summary>
/// <c>skald mine paraphrases|communities|bitext</c>: sentence-transformers' paraphrase mining and community detection
/// over a model's embeddings of a text file (near-duplicate questions, FAQ clusters, repeated passages), and parallel
/// sentences between two corpora (its parallel-sentence-mining recipe).
/// </summary>
internal sealed class MineCommand : Command
{
    public MineCommand() : base("mine", "Find similar texts with a model: paraphrase pairs, communities (clusters of near-duplicates), parallel sentences")
    {
        Subcommands.Add(Paraphrases());
        Subcommands.Add(Communities());
        Subcommands.Add(Bitext());
    }

    private static Option<string> Model() => CliOptions.Text("--model", "Model folder or hub id org/name[@revision]", "DIR|ID", required: true);

    private static Option<string> Input() => CliOptions.Text("--input", "Texts: .txt (one per line) or .jsonl (a \"text\" field per line)", "FILE", required: true);

    private static Option<string> Output(string what) => CliOptions.Text("--output", $"{what} as .jsonl (default: stdout)", "FILE");

    private static Option<int?> BatchSize() => CliOptions.Int("--batch-size", "Texts per forward pass", defaultValue: 32);

    private static Command Paraphrases()
    {
        var model = Model();
        var input = Input();
        var output = Output("Pairs, best first: {\"score\", \"first\", \"second\", \"text1\", \"text2\"} (0-based line numbers)");
        var batch = BatchSize();
        var topK = CliOptions.Int("--top-k", "Nearest other texts each text pairs with", defaultValue: 100);
        var maxPairs = CliOptions.Int("--max-pairs", "Pairs kept at most (the best)", defaultValue: 500_000);
        var command = new Command("paraphrases", "All pairs of similar texts by cosine similarity, best first (sentence-transformers' paraphrase_mining)")
        {
            model, input, output, batch, topK, maxPairs,
        };
        command.SetAction(p =>
        {
            if (p.GetValue(topK) is < 1 || p.GetValue(maxPairs) is < 2) throw new UsageException("--top-k must be at least 1 and --max-pairs at least 2");
            NotAnInput(p.GetValue(output), p.GetValue(model), p.GetValue(input));
            var (texts, embeddings) = Embed(p, model, input, batch);
            var pairs = ParaphraseMining.Mine(embeddings, p.GetValue(topK) ?? 100, p.GetValue(maxPairs) ?? 500_000);
            Write(p.GetValue(output), pairs.Select(x => JsonSerializer.Serialize(new
            {
                score = Math.Round(x.Score, 6), first = x.First, second = x.Second, text1 = texts[x.First], text2 = texts[x.Second],
            }, Json)));
            Terminal.Log($"{Counted.Of(pairs.Count, "pair")} among {Counted.Of(texts.Count, "text")}", p.GetValue(CliOptions.Quiet));
            return 0;
        });
        return command;
    }

    private static Command Communities()
    {
        var model = Model();
        var input = Input();
        var output = Output("Communities, largest first: {\"size\", \"members\", \"texts\"} (members 0-based line numbers, the central text first)");
        var batch = BatchSize();
        var threshold = CliOptions.Number("--threshold", "Cosine similarity at which texts are close [default: 0.75]", v => v is >= -1 and <= 1, "a number in [-1, 1]");
        var minSize = CliOptions.Int("--min-size", "Texts a community holds at least", defaultValue: 10);
        var command = new Command("communities", "Groups of texts all close to a central one, largest first (sentence-transformers' community_detection)")
        {
            model, input, output, batch, threshold, minSize,
        };
        command.SetAction(p =>
        {
            if (p.GetValue(minSize) is < 1) throw new UsageException("--min-size must be at least 1");
            NotAnInput(p.GetValue(output), p.GetValue(model), p.GetValue(input));
            var (texts, embeddings) = Embed(p, model, input, batch);
            var found = CommunityDetection.Find(embeddings, (float)(p.GetValue(threshold) ?? 0.75), p.GetValue(minSize) ?? 10);
            Write(p.GetValue(output), found.Select(c => JsonSerializer.Serialize(new { size = c.Length, members = c, texts = c.Select(i => texts[i]) }, Json)));
            Terminal.Log($"{Counted.Of(found.Count, "community", "communities")} covering {found.Sum(c => c.Length)} of {texts.Count} texts", p.GetValue(CliOptions.Quiet));
            return 0;
        });
        return command;
    }

    private static Command Bitext()
    {
        var model = Model();
        var source = CliOptions.Text("--source", "Source-language texts: .txt (one per line) or .jsonl (a \"text\" field); repeated lines count once", "FILE", required: true);
        var target = CliOptions.Text("--target", "Target-language texts, the same formats", "FILE", required: true);
        var output = Output("Pairs, best first: {\"score\", \"source\", \"target\", \"source_line\", \"target_line\"} (1-based lines of each text's first occurrence)");
        var batch = BatchSize();
        var k = CliOptions.Int("--k", "Nearest neighbours that define each text's neighbourhood", defaultValue: 4);
        var minScore = CliOptions.Number("--min-score", "Lowest margin score kept [default: 1.0; above 1: closer than both neighbourhoods]", v => v > 0, "a positive number");
        var command = new Command("bitext", "Parallel sentences between two monolingual corpora, by margin-scored nearest neighbours (a multilingual model: Danish and Norwegian, Bokmål and Nynorsk, ...)")
        {
            model, source, target, output, batch, k, minScore,
        };
        command.SetAction(p =>
        {
            if (p.GetValue(k) is < 1) throw new UsageException("--k must be at least 1");
            NotAnInput(p.GetValue(output), p.GetValue(model), p.GetValue(source), p.GetValue(target));
            bool quiet = p.GetValue(CliOptions.Quiet);
            var (sourceTexts, sourceLines) = Unique(TextInput.Read(p.GetValue(source)!, allowBlank: false));
            var (targetTexts, targetLines) = Unique(TextInput.Read(p.GetValue(target)!, allowBlank: false));
            using var encoder = LoadDense(p, model);
            float[][] Encode(List<string> texts, string what) => ProgressView.Run($"encoding {what}", texts.Count >= 64, quiet,
                bar => encoder.Encode(texts, new EncodeOptions { BatchSize = p.GetValue(batch) ?? 32, Progress = (done, total) => bar.Report(done, total) }));
            var pairs = BitextMining.Mine(Encode(sourceTexts, "sources"), Encode(targetTexts, "targets"), p.GetValue(k) ?? 4, p.GetValue(minScore) ?? 1.0);
            Write(p.GetValue(output), pairs.Select(x => JsonSerializer.Serialize(new
            {
                score = Math.Round(x.Score, 6), source = sourceTexts[x.Source], target = targetTexts[x.Target],
                source_line = sourceLines[x.Source], target_line = targetLines[x.Target],
            }, Json)));
            Terminal.Log($"{Counted.Of(pairs.Count, "pair")} from {sourceTexts.Count} source and {Counted.Of(targetTexts.Count, "target text")}", quiet);
            return 0;
        });
        return command;
    }

    /// <summary>The distinct texts in first-occurrence order, with their 1-based line numbers.</summary>
    private static (List<string> Texts, List<int> Lines) Unique(List<string> texts)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var (unique, lines) = (new List<string>(), new List<int>());
        for (int i = 0; i < texts.Count; i++)
        {
            if (!seen.Add(texts[i])) continue;
            unique.Add(texts[i]);
            lines.Add(i + 1);
        }
        return (unique, lines);
    }

    private static SentenceEncoder LoadDense(ParseResult p, Option<string> model)
    {
        string spec = p.GetValue(model)!;
        // "bm25" names the lexical scorer to evaluate, benchmark and data mine-negatives; here it was "bm25: model folder not found"
        if (spec.Equals("bm25", StringComparison.OrdinalIgnoreCase) && !Directory.Exists(spec))
            throw new UsageException("mine compares dense embeddings by cosine similarity; bm25 (the lexical scorer evaluate, benchmark and data mine-negatives take) has none: give a model folder or hub id");
        var encoder = SentenceEncoder.Load(HubModels.Resolve(spec, p.GetValue(CliOptions.Quiet)));
        if (encoder.IsSparse)
        {
            encoder.Dispose();
            throw new UsageException("mine compares dense embeddings by cosine similarity; this model is a sparse encoder");
        }
        return encoder;
    }

    private static readonly JsonSerializerOptions Json = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static (List<string> Texts, float[][] Embeddings) Embed(ParseResult p, Option<string> model, Option<string> input, Option<int?> batch)
    {
        bool quiet = p.GetValue(CliOptions.Quiet);
        var texts = TextInput.Read(p.GetValue(input)!, allowBlank: false);
        using var encoder = LoadDense(p, model);
        var embeddings = ProgressView.Run("encoding", texts.Count >= 64, quiet, bar => encoder.Encode(texts, new EncodeOptions
        {
            BatchSize = p.GetValue(batch) ?? 32,
            Progress = (done, total) => bar.Report(done, total),
        }));
        return (texts, embeddings);
    }

    /// <summary>
    /// Refuses an --output that is one of the files being read or a file of the model folder (null: stdout, always fine).
    /// </summary>
    private static void NotAnInput(string? output, string? model, params string?[] inputs)
    {
        if (output is null) return;
        OutputPath.NotAnInput(output, inputs);
        if (model is not null && Directory.Exists(model)) OutputPath.NotAFileOf("--output", output, [model]);
    }

    private static void Write(string? path, IEnumerable<string> lines)
    {
        if (path is null)
        {
            foreach (var line in lines) Console.WriteLine(line);
            return;
        }
        AtomicFile.Write(path, s =>
        {
            using var w = new StreamWriter(s, new UTF8Encoding(false), 1 << 16, leaveOpen: true);
            foreach (var line in lines) w.Write(line + "\n");
        });
    }
}
