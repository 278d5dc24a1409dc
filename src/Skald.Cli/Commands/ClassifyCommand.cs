using System.CommandLine;
using System.Text;
using System.Text.Json;
using Skald.Cli.CommandLine;
using Skald.Cli.IO;
using Skald.Cli.Output;
using Skald.Models.CrossEncoders;
using Skald.Retrieval.Data;
using Skald.Training.Data;
using Skald.Tokenizers.Serialization;

namespace Skald.Cli.Commands;

/// <summary>
/// <c>skald classify</c>: a cross-encoder's outputs for every (text, text) row of a file, as sentence-transformers'
/// <c>CrossEncoder.predict</c> gives them (one score per label after the model's activation; <c>--softmax</c>:
/// apply_softmax), with the best label's name.
/// </summary>
internal sealed class ClassifyCommand : Command
{
    private readonly Option<string> model = CliOptions.Text("--model",
        "Cross-encoder folder or hub id: a classifier of pairs (e.g. NLI: entailment / neutral / contradiction) or a one-label reranker", "DIR|ID", required: true);
    private readonly Option<string> input = CliOptions.Text("--input", "Pairs (JSONL/CSV/TSV/Parquet): the first two text columns", "FILE", required: true);
    private readonly Option<string> output = CliOptions.Text("--output", "One JSON object per pair (.jsonl): the two texts, \"scores\" (one per label), \"label\"", "FILE", required: true);
    private readonly Option<bool> softmax = CliOptions.Flag("--softmax", "Scores as probabilities over the labels (a softmax after the activation)");
    private readonly Option<int?> batchSize = CliOptions.Int("--batch-size", "Pairs per forward pass", defaultValue: 32);
    private readonly Option<int?> maxLength = CliOptions.Int("--max-length", "Cut each pair to N tokens, longest text first (default: the model's)");
    private readonly Option<string> quantize = QuantizeOption.Create();
    private readonly Option<string> float32Matmul = Float32MatmulOption.Create();
    private readonly Option<string> adapters = CliOptions.Text("--adapters", "PEFT LoRA adapter folders merged into the model in order (a SEQ_CLS adapter may bring the head), comma-separated", "DIR[,DIR...]");

    public ClassifyCommand() : base("classify", "Classify pairs of texts with a cross-encoder (scores per label, sentence-transformers' predict)")
    {
        foreach (var o in new Option[] { model, input, output, softmax, batchSize, maxLength, quantize, float32Matmul, adapters }) Options.Add(o);
        SetAction(Run);
    }

    private int Run(ParseResult p)
    {
        bool quiet = p.GetValue(CliOptions.Quiet);
        string outputPath = p.GetValue(output)!;
        if (!Path.GetExtension(outputPath).Equals(".jsonl", StringComparison.OrdinalIgnoreCase))
            throw new UsageException($"option --output must name a .jsonl file, got '{outputPath}'");
        OutputPath.NotAnInput(outputPath, p.GetValue(input));
        OutputPath.NotAFileOf("--output", outputPath, [.. new[] { p.GetValue(model)! }.Concat(CliOptions.AdapterFolders(p.GetValue(adapters))).Where(Directory.Exists)]);
        var set = DatasetReader.Read(p.GetValue(input)!).WithoutLists("classify");
        if (set.Columns.Count < 2)
            throw new InputException($"{p.GetValue(input)}: needs two text columns (a pair), found {string.Join(", ", set.Columns)}");
        using var classifier = Rerankers.Load(p.GetValue(model)!, quiet, adapters: CliOptions.AdapterFolders(p.GetValue(adapters)), anyLabels: true);
        QuantizeOption.Apply(Float32MatmulOption.Apply(classifier, p.GetValue(float32Matmul), quiet), p.GetValue(quantize), quiet);
        if (p.GetValue(softmax) && classifier.Config.MultiLabel)
            throw new UsageException($"--softmax: {p.GetValue(model)} is a multi-label classifier (several labels may hold at once, each scored by its own sigmoid); leave --softmax out");
        var pairs = set.Rows.Select(r => (r[0], r[1])).ToArray();
        var scores = ProgressView.Run("classifying", pairs.Length >= 64, quiet, bar => classifier.Predict(pairs, new CrossEncoderOptions
        {
            BatchSize = p.GetValue(batchSize) ?? 32,
            MaxLength = p.GetValue(maxLength),
            ApplySoftmax = p.GetValue(softmax),
            Progress = (done, total) => bar.Report(done, total),
        }));
        var labels = classifier.Config.Labels;
        var counts = new int[labels.Count];
        AtomicFile.Write(outputPath, s =>
        {
            using var w = new Utf8JsonWriter(s);
            for (int i = 0; i < pairs.Length; i++)
            {
                int best = 0;
                for (int c = 1; c < scores[i].Length; c++) if (scores[i][c] > scores[i][best]) best = c;
                counts[best]++;
                w.WriteStartObject();
                w.WriteString(set.Columns[0], pairs[i].Item1);
                w.WriteString(set.Columns[1], pairs[i].Item2);
                w.WriteStartArray("scores");
                foreach (float v in scores[i]) w.WriteNumberValue(v);
                w.WriteEndArray();
                if (labels.Count > 1) w.WriteString("label", labels[best]);
                w.WriteEndObject();
                w.Flush();
                s.Write("\n"u8);
                w.Reset();
            }
        });
        string summary = labels.Count > 1
            ? string.Join(", ", labels.Select((l, c) => $"{counts[c]} {l}"))
            : "one score each";
        Terminal.Log($"wrote {Counted.Of(pairs.Length, "pair")} to {outputPath} ({summary})", quiet);
        return 0;
    }
}
