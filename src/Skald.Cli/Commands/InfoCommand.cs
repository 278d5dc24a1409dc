using System.CommandLine;
using Skald.Cli.CommandLine;
using Skald.Models;
using Skald.Models.Modules;

namespace Skald.Cli.Commands;

/// <summary><c>skald info</c>: what a model folder holds.</summary>
internal sealed class InfoCommand : Command
{
    private readonly Option<string> model = CliOptions.Text("--model", "Model folder to describe", "DIR", required: true);

    public InfoCommand() : base("info", "Describe a model folder: architecture, size, pooling, tokenizer, prompts")
    {
        Options.Add(model);
        SetAction(Run);
    }

    private int Run(ParseResult p)
    {
        var m = SentenceEncoder.Load(p.GetValue(model)!);
        var cfg = m.Transformer.Config;
        var modes = Enum.GetValues<PoolingMode>().Where(x => x != PoolingMode.None && m.Pooling.Modes.HasFlag(x));
        Console.WriteLine($"model:            {m.Folder.Path}");
        Console.WriteLine($"architecture:     {cfg.Architecture ?? cfg.ModelType} (model_type {cfg.ModelType})");
        Console.WriteLine($"parameters:       {m.ParameterCount:N0}");
        Console.WriteLine($"layers:           {cfg.NumLayers}, hidden {cfg.HiddenSize}, heads {cfg.NumHeads}, intermediate {cfg.IntermediateSize}, {cfg.HiddenAct}");
        Console.WriteLine($"embedding dim:    {m.Dimension}");
        Console.WriteLine($"max length:       {m.MaxSeqLength} tokens");
        string source = m.Folder.Llm2Vec is { } l2v
            ? $" (llm2vec_config.json pooling_mode {l2v.PoolingModeName}{(l2v.SkipInstruction ? ", instruction excluded" : "")})"
            : m.Folder.IsSentenceTransformers ? "" : " (default: no modules.json)";
        Console.WriteLine($"pooling:          {string.Join("+", modes).ToLowerInvariant()}{(m.Pooling.IncludePrompt ? "" : " (prompt excluded)")}{source}");
        Console.WriteLine($"attention:        {(m.Folder.Bidirectional ? "bidirectional (LLM2Vec)" : "as the architecture defines")}, padding {m.PaddingSide.ToString().ToLowerInvariant()}");
        foreach (var d in m.Dense) Console.WriteLine($"dense:            {d.InFeatures} → {d.OutFeatures}, {d.ActivationFunction}");
        Console.WriteLine($"normalize:        {(m.Folder.Normalize ? "yes" : "no")}");
        Console.WriteLine($"similarity:       {Similarities.Name(m.SimilarityFunction)}");
        Console.WriteLine($"tokenizer:        {m.Tokenizer.ModelKind}, vocabulary {m.Tokenizer.VocabSize:N0}{(m.Folder.DoLowerCase ? ", lower-cased input" : "")}");
        if (m.Folder.Prompts.Count > 0)
        {
            Console.WriteLine($"prompts:          {string.Join(", ", m.Folder.Prompts.Select(x => $"{x.Key}=\"{x.Value}\""))}" +
                (m.Folder.DefaultPromptName is null ? "" : $" (default {m.Folder.DefaultPromptName})"));
        }
        Console.WriteLine($"gemm backend:     {Skald.Tensors.Gemm.Blas.Backend.Name}");
        return 0;
    }
}
