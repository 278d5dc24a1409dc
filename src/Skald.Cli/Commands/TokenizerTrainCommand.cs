using System.CommandLine;
using System.Diagnostics;
using Skald.Cli.CommandLine;
using Skald.Cli.IO;
using Skald.Cli.Output;
using Skald.Retrieval.Data;
using Skald.Tokenizers;
using Skald.Tokenizers.Training;
using Skald.Tokenizers.Serialization;

namespace Skald.Cli.Commands;

/// <summary><c>skald tokenizer train</c>: trains a WordPiece, byte-level BPE or Unigram tokenizer and writes a HF tokenizer.json.</summary>
internal sealed class TokenizerTrainCommand : Command
{
    private readonly Option<string> corpus = CliOptions.Text("--corpus", "Training text: .txt files or folders of them, comma-separated", "FILE[,FILE...]", required: true);
    private readonly Option<string> kind = CliOptions.Choice("--kind", "Tokenizer model to train", null, "wordpiece", "bpe", "unigram");
    private readonly Option<int?> vocabSize = CliOptions.Int("--vocab-size", "Vocabulary size (special tokens included)");
    private readonly Option<string> output = CliOptions.Text("--output", "Where to write the tokenizer.json", "FILE", required: true);
    private readonly Option<int?> minFrequency = CliOptions.Int("--min-frequency", "Ignore words or merges seen fewer times", min: 0, defaultValue: 2);
    private readonly Option<string> specialTokens = CliOptions.Text("--special-tokens", "Special tokens, comma-separated (default: the model's usual set)", "T1,T2,...");
    private readonly Option<string> initialAlphabet = CliOptions.Text("--initial-alphabet", "Characters always kept in the vocabulary", "CHARS");
    private readonly Option<bool> lowercase = CliOptions.Flag("--lowercase", "Lower-case text before training and encoding");

    public TokenizerTrainCommand() : base("train", "Train a WordPiece, byte-level BPE or Unigram tokenizer; writes a Hugging Face tokenizer.json")
    {
        vocabSize.Required = true;
        Options.Add(corpus);
        Options.Add(kind);
        Options.Add(vocabSize);
        Options.Add(output);
        Options.Add(minFrequency);
        Options.Add(specialTokens);
        Options.Add(initialAlphabet);
        Options.Add(lowercase);
        SetAction(Run);
    }

    private int Run(ParseResult p)
    {
        string outputPath = p.GetValue(output)!, kindName = p.GetValue(kind)!;
        var files = new List<string>();
        foreach (var part in CliOptions.Items(p.GetValue(corpus)))
        {
            if (Directory.Exists(part)) files.AddRange(Directory.GetFiles(part, "*.txt").Order(StringComparer.Ordinal));
            else if (File.Exists(part)) files.Add(part);
            else throw new InputException($"{part}: file not found");
            OutputPath.NotAnInput(outputPath, files.ToArray());
        }
        if (files.Count == 0) throw new InputException($"{p.GetValue(corpus)}: no corpus files (.txt) found (a folder's own .txt files are read, not its sub-folders')");
        AtomicFile.CheckWritable(outputPath); // before training, not after it
        string[]? specials = p.GetValue(specialTokens) is { } special ? CliOptions.Items(special) : null;
        if (specials is { Length: 0 }) throw new UsageException("option --special-tokens: no tokens given (a comma-separated list, e.g. [PAD],[UNK],[CLS],[SEP],[MASK])");
        if (specials?.GroupBy(t => t, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw new UsageException($"option --special-tokens: '{twice.Key}' is listed twice");
        var options = new TokenizerTrainingOptions
        {
            Kind = kindName switch { "bpe" => TokenizerKind.Bpe, "unigram" => TokenizerKind.Unigram, _ => TokenizerKind.WordPiece },
            VocabSize = p.GetValue(vocabSize)!.Value,
            MinFrequency = p.GetValue(minFrequency) ?? 2,
            SpecialTokens = specials,
            InitialAlphabet = (p.GetValue(initialAlphabet) ?? "").EnumerateRunes().Select(r => r.ToString()).ToArray(),
            Lowercase = p.GetValue(lowercase),
        };
        var sw = Stopwatch.StartNew();
        var lines = files.SelectMany(Retrieval.Data.TextFile.ReadLines).Where(l => l.Length > 0).ToList();
        if (lines.All(string.IsNullOrWhiteSpace))
            throw new InputException($"{string.Join(", ", files)}: no text lines to train on{(lines.Count > 0 ? " (only whitespace)" : "")}");
        string json = TokenizerTrainer.TrainJson(lines, options);
        var check = Tokenizer.FromJson(json, outputPath);
        AtomicFile.Write(outputPath, s => s.Write(System.Text.Encoding.UTF8.GetBytes(json)));
        Terminal.Log($"trained {kindName} tokenizer with {check.VocabSize} tokens on {Counted.Of(lines.Count, "line")} from {Counted.Of(files.Count, "file")} in {sw.Elapsed.TotalSeconds:F1} s → {outputPath}"
            + SizeNote(check.VocabSize, options), p.GetValue(CliOptions.Quiet));
        return 0;
    }

    /// <summary>
    /// Why the vocabulary is not the size asked for, when it is not: a trainer keeps its alphabet and special tokens
    /// whatever the size (a byte-level BPE's 256 bytes), and stops early when the corpus has no more words or merges
    /// seen --min-frequency times.
    /// </summary>
    private static string SizeNote(int size, TokenizerTrainingOptions options) =>
        size > options.VocabSize ? $" (more than --vocab-size {options.VocabSize}: the alphabet and the special tokens are always kept)"
        : size < options.VocabSize ? $" (fewer than --vocab-size {options.VocabSize}: the corpus holds no more seen at least --min-frequency {options.MinFrequency} times)"
        : "";
}
