using System.Globalization;
using Skald.Cli.IO;
using Skald.Models;
using Skald.Tokenizers;
using Skald.Tokenizers.Training;
using Skald.Training.Data;
using Skald.Training.Static;

namespace Skald.Cli.Commands;

/// <summary><c>skald static train|distill</c>: static embedding models (sentence-transformers StaticEmbedding).</summary>
internal static class StaticCommand
{
    public const string Usage =
        "skald static train --data FILE[,FILE...] --output DIR [--tokenizer FILE | --corpus FILE[,FILE...] [--vocab-size N]]\n" +
        "                   [--dim N] [--steps N] [--epochs N] [--batch-size N] [--lr X] [--matryoshka D,D,...] [--no-normalize]\n" +
        "skald static distill --model DIR --output DIR [--dim N] [--corpus FILE[,FILE...]] [--no-normalize]";

    public static int Run(IReadOnlyList<string> args)
    {
        if (args.Count == 0 || args[0] is not ("train" or "distill"))
            throw new UsageException("'skald static' needs 'train' or 'distill'");
        return args[0] == "train" ? Train(args.Skip(1).ToList()) : Distill(args.Skip(1).ToList());
    }

    private static int Train(IReadOnlyList<string> args)
    {
        var a = new CliArgs("static train", args,
            ["--data", "--output", "--tokenizer", "--corpus", "--vocab-size", "--dim", "--steps", "--epochs", "--batch-size", "--lr", "--matryoshka"],
            ["--no-normalize"]);
        string output = a.Require("--output");
        var files = a.Require("--data").Split(',', StringSplitOptions.RemoveEmptyEntries);
        // Every file gives (anchor, positive) pairs: its first two text columns (a "lang" column is not text to embed).
        var anchors = new List<string>();
        var positives = new List<string>();
        foreach (var f in files)
        {
            var d = DatasetReader.Read(f);
            var textColumns = d.Columns.Where(c => c != "lang").ToList();
            if (textColumns.Count < 2) throw new InputException($"{f}: needs at least two text columns (anchor, positive), found {string.Join(", ", d.Columns)}");
            d = d.SelectColumns(textColumns.Take(2).ToList());
            anchors.AddRange(d.Rows.Select(r => r[0]));
            positives.AddRange(d.Rows.Select(r => r[1]));
        }

        string tokenizerPath;
        if (a.Get("--tokenizer") is { } tok)
        {
            tokenizerPath = Directory.Exists(tok) ? Path.Combine(tok, "tokenizer.json") : tok;
        }
        else
        {
            // No tokenizer given: train a lower-cased WordPiece on the corpus files plus the training texts.
            var corpus = (a.Get("--corpus") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries)
                .SelectMany(TextInput.ReadLinesOf).Concat(anchors).Concat(positives).ToList();
            Directory.CreateDirectory(output);
            tokenizerPath = Path.Combine(output, "tokenizer.trained.json");
            File.WriteAllText(tokenizerPath, TokenizerTrainer.TrainJson(corpus, new TokenizerTrainingOptions
            {
                Kind = TokenizerKind.WordPiece, VocabSize = a.GetInt("--vocab-size") ?? 16000, Lowercase = true,
            }));
        }
        int dim = a.GetInt("--dim") ?? 256;
        var model = StaticEmbeddingTrainable.Create(Tokenizer.FromFile(tokenizerPath), tokenizerPath, dim, seed: 42);
        int[]? dims = a.Get("--matryoshka") is { } m
            ? m.Split(',').Select(x => int.TryParse(x, CultureInfo.InvariantCulture, out int v) && v > 0 && v <= dim ? v
                : throw new UsageException($"--matryoshka: '{x}' is not a width between 1 and {dim}")).ToArray()
            : [dim, dim / 2, dim / 4, dim / 8];
        float lr = 0.2f;
        if (a.Get("--lr") is { } lrText && (!float.TryParse(lrText, NumberStyles.Float, CultureInfo.InvariantCulture, out lr) || lr <= 0))
            throw new UsageException($"option --lr must be a positive number, got '{lrText}'");
        var trainer = new StaticTrainer(model, StaticTrainer.MnrlLoss(dims), new StaticTrainingOptions
        {
            BatchSize = a.GetInt("--batch-size") ?? 256, Epochs = a.GetInt("--epochs") ?? 5, MaxSteps = a.GetInt("--steps") ?? 0,
            LearningRate = lr, Seed = 42,
            Progress = (step, loss) => { if (step % 50 == 0) Console.Error.WriteLine($"step {step}: loss {loss:F4}"); },
        });
        var result = trainer.Train([anchors, positives]);
        model.Save(output, normalize: !a.Has("--no-normalize"));
        Console.Error.WriteLine($"trained {result.Steps} steps on {anchors.Count:N0} pairs (loss {result.FirstLoss:F3} → {result.LastLoss:F3}, {result.Elapsed.TotalSeconds:F0} s); saved to {output}");
        return 0;
    }

    private static int Distill(IReadOnlyList<string> args)
    {
        var a = new CliArgs("static distill", args, ["--model", "--output", "--dim", "--corpus"], ["--no-normalize"]);
        var teacher = SentenceEncoder.Load(a.Require("--model"));
        string output = a.Require("--output");
        var corpus = a.Get("--corpus")?.Split(',', StringSplitOptions.RemoveEmptyEntries).SelectMany(TextInput.ReadLinesOf).ToList();
        var model = StaticDistiller.Distill(teacher, a.GetInt("--dim") ?? 256, new StaticDistillOptions
        {
            Corpus = corpus,
            Progress = (done, total) => { if (done == total || done % 4096 == 0) Console.Error.WriteLine($"embedded {done}/{total} tokens"); },
        });
        model.Save(output, normalize: !a.Has("--no-normalize"));
        Console.Error.WriteLine($"distilled {teacher.Folder.Path} into a {model.Dimension}-d static model: {output}");
        return 0;
    }
}
