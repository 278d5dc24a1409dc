using Skald.Models;
using Skald.Models.Pipeline;

namespace Skald.Cli.Commands;

/// <summary><c>skald info</c>: what a model folder holds.</summary>
internal static class InfoCommand
{
    public const string Usage = "skald info --model DIR";

    public static int Run(IReadOnlyList<string> args)
    {
        var a = new CliArgs("info", args, ["--model"]);
        var m = SentenceEncoder.Load(a.Require("--model"));
        var cfg = m.Transformer.Config;
        var modes = Enum.GetValues<PoolingMode>().Where(p => p != PoolingMode.None && m.Pooling.Modes.HasFlag(p));
        Console.WriteLine($"model:            {m.Folder.Path}");
        Console.WriteLine($"architecture:     {cfg.Architecture ?? cfg.ModelType} (model_type {cfg.ModelType})");
        Console.WriteLine($"parameters:       {m.ParameterCount:N0}");
        Console.WriteLine($"layers:           {cfg.NumLayers}, hidden {cfg.HiddenSize}, heads {cfg.NumHeads}, intermediate {cfg.IntermediateSize}, {cfg.HiddenAct}");
        Console.WriteLine($"embedding dim:    {m.Dimension}");
        Console.WriteLine($"max length:       {m.MaxSeqLength} tokens");
        Console.WriteLine($"pooling:          {string.Join("+", modes).ToLowerInvariant()}{(m.Pooling.IncludePrompt ? "" : " (prompt excluded)")}{(m.Folder.IsSentenceTransformers ? "" : " (default: no modules.json)")}");
        foreach (var d in m.Dense) Console.WriteLine($"dense:            {d.InFeatures} → {d.OutFeatures}, {d.ActivationFunction}");
        Console.WriteLine($"normalize:        {(m.Folder.Normalize ? "yes" : "no")}");
        Console.WriteLine($"similarity:       {Similarities.Name(m.SimilarityFunction)}");
        Console.WriteLine($"tokenizer:        {m.Tokenizer.ModelKind}, vocabulary {m.Tokenizer.VocabSize:N0}{(m.Folder.DoLowerCase ? ", lower-cased input" : "")}");
        if (m.Folder.Prompts.Count > 0)
        {
            Console.WriteLine($"prompts:          {string.Join(", ", m.Folder.Prompts.Select(p => $"{p.Key}=\"{p.Value}\""))}" +
                (m.Folder.DefaultPromptName is null ? "" : $" (default {m.Folder.DefaultPromptName})"));
        }
        Console.WriteLine($"gemm backend:     {Skald.Tensors.Gemm.Blas.Backend.Name}");
        return 0;
    }
}
