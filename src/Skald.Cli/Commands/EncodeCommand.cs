using Skald.Cli.IO;
using Skald.Models;

namespace Skald.Cli.Commands;

/// <summary><c>skald encode</c>: texts in, embeddings out.</summary>
internal static class EncodeCommand
{
    public const string Usage =
        "skald encode --model DIR --input FILE(.txt|.jsonl) --output FILE(.jsonl|.npy) [--batch-size N] [--max-length N]\n" +
        "             [--prompt-name NAME | --prompt TEXT] [--normalize] [--quiet]";

    public static int Run(IReadOnlyList<string> args)
    {
        var a = new CliArgs("encode", args,
            ["--model", "--input", "--output", "--batch-size", "--max-length", "--prompt-name", "--prompt"],
            ["--normalize", "--quiet"]);
        string model = a.Require("--model"), input = a.Require("--input"), output = a.Require("--output");
        if (a.Has("--prompt") && a.Has("--prompt-name")) throw new UsageException("give --prompt-name or --prompt, not both");
        EmbeddingOutput.CheckExtension(output);
        var texts = TextInput.Read(input, allowBlank: false);
        var encoder = SentenceEncoder.Load(model);
        using var progress = new ProgressBar("encoding", texts.Count, enabled: !a.Has("--quiet") && texts.Count >= 64);
        var options = new EncodeOptions
        {
            BatchSize = a.GetInt("--batch-size") ?? 32,
            MaxLength = a.GetInt("--max-length"),
            PromptName = a.Get("--prompt-name"),
            Prompt = a.Get("--prompt"),
            Normalize = a.Has("--normalize"),
            Progress = progress.Report,
        };
        var embeddings = encoder.Encode(texts, options);
        EmbeddingOutput.Write(output, embeddings, encoder.Dimension);
        progress.Done();
        if (!a.Has("--quiet")) Console.Error.WriteLine($"wrote {embeddings.Length} embeddings of dimension {encoder.Dimension} to {output}");
        return 0;
    }
}
