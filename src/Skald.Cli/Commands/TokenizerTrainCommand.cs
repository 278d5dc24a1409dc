using System.Diagnostics;
using Skald.Cli.IO;
using Skald.Tokenizers;
using Skald.Tokenizers.Training;

namespace Skald.Cli.Commands;

/// <summary><c>skald tokenizer train</c>: trains a WordPiece, byte-level BPE or Unigram tokenizer and writes a HF tokenizer.json.</summary>
internal static class TokenizerTrainCommand
{
    public const string Usage = "skald tokenizer train --corpus FILE[,FILE...] --kind wordpiece|bpe|unigram --vocab-size N --output tokenizer.json\n"
        + "      [--min-frequency N] [--special-tokens T1,T2,...] [--initial-alphabet CHARS] [--lowercase]";

    public static int Run(IReadOnlyList<string> args)
    {
        if (args.Count == 0 || args[0] != "train")
            throw new UsageException($"usage: {Usage}");
        var a = new CliArgs("tokenizer train", args.Skip(1).ToArray(),
            ["--corpus", "--kind", "--vocab-size", "--output", "--min-frequency", "--special-tokens", "--initial-alphabet"], ["--lowercase"]);
        string output = a.Require("--output");
        var kind = a.Require("--kind") switch
        {
            "wordpiece" => TokenizerKind.WordPiece,
            "bpe" => TokenizerKind.Bpe,
            "unigram" => TokenizerKind.Unigram,
            var k => throw new UsageException($"--kind must be wordpiece, bpe or unigram, got '{k}'"),
        };
        int vocabSize = a.GetInt("--vocab-size") ?? throw new UsageException("'skald tokenizer train' needs --vocab-size");
        var files = new List<string>();
        foreach (var part in a.Require("--corpus").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (Directory.Exists(part)) files.AddRange(Directory.GetFiles(part, "*.txt").Order(StringComparer.Ordinal));
            else if (File.Exists(part)) files.Add(part);
            else throw new InputException($"{part}: file not found");
        }
        if (files.Count == 0) throw new InputException("no corpus files (.txt) found");
        var options = new TokenizerTrainingOptions
        {
            Kind = kind,
            VocabSize = vocabSize,
            MinFrequency = a.GetInt("--min-frequency", 0) ?? 2,
            SpecialTokens = a.Get("--special-tokens")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            InitialAlphabet = (a.Get("--initial-alphabet") ?? "").EnumerateRunes().Select(r => r.ToString()).ToArray(),
            Lowercase = a.Has("--lowercase"),
        };
        var sw = Stopwatch.StartNew();
        var lines = files.SelectMany(f => File.ReadLines(f)).Where(l => l.Length > 0).ToList();
        string json = TokenizerTrainer.TrainJson(lines, options);
        var check = Tokenizer.FromJson(json, output);
        AtomicFile.Write(output, s => s.Write(System.Text.Encoding.UTF8.GetBytes(json)));
        Console.Error.WriteLine($"skald: trained {a.Get("--kind")} tokenizer with {check.VocabSize} tokens on {lines.Count} lines from {files.Count} file(s) in {sw.Elapsed.TotalSeconds:F1} s -> {output}");
        return 0;
    }
}
