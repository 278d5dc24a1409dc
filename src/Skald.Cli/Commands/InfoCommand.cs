using System.CommandLine;
using Skald.Cli.CommandLine;
using Skald.Cli.IO;
using Skald.Models;
using Skald.Models.Modules;
using Skald.Retrieval.Data;
using Skald.Tensors;
using Skald.Tokenizers.Serialization;

namespace Skald.Cli.Commands;

/// <summary><c>skald info</c>: what a model folder holds.</summary>
internal sealed class InfoCommand : Command
{
    private readonly Option<string> model = CliOptions.Text("--model", "Model folder to describe, or a hub id org/name[@revision]", "DIR|ID", required: true);
    private readonly Option<string> weights = CliOptions.Choice("--weights",
        "Load the weight matrices as f32, bf16 or f16 (the memory line reports that precision)", "f32", "f32", "bf16", "f16");

    public InfoCommand() : base("info", "Describe a model folder: architecture, size, pooling, tokenizer, prompts")
    {
        Options.Add(model);
        Options.Add(weights);
        SetAction(Run);
    }

    /// <summary>The <c>--weights</c> value as a <see cref="WeightPrecision"/>.</summary>
    internal static WeightPrecision Precision(string? value) =>
        value is null ? WeightPrecision.Float32 : Skald.Serving.ModelLoadValues.Precision(value) ?? WeightPrecision.Float32;

    // A folder as info prints it: its full path, whatever form it was given or found in (the model as typed, a base an
    // adapter names relative to itself, ../ and all), so the lines agree; a hub id as it is.
    private static string Shown(string path) =>
        Directory.Exists(path) ? Path.TrimEndingDirectorySeparator(Path.GetFullPath(path)) : path;

    private static string Size(long bytes) => bytes >= 1L << 30 ? $"{bytes / (double)(1L << 30):F2} GiB" : $"{bytes / (double)(1L << 20):F1} MiB";

    private int Run(ParseResult p)
    {
        string path = HubModels.Resolve(p.GetValue(model)!, p.GetValue(CliOptions.Quiet));
        using var m = SentenceEncoder.LoadAnyHead(path, precision: Precision(p.GetValue(weights))); // a cross-encoder too: its encoder is described
        var cfg = m.Transformer.Config;
        using var crossEncoder = Skald.Models.CrossEncoders.CrossEncoder.IsCrossEncoder(path) ? Skald.Models.CrossEncoders.CrossEncoder.Load(path) : null;
        var modes = Enum.GetValues<PoolingMode>().Where(x => x != PoolingMode.None && m.Pooling.Modes.HasFlag(x));
        Console.WriteLine($"model:            {Shown(m.Source)}");
        if (m.Adapters.Count > 0) // an adapter folder given as the model: what it loads onto (its config.json and tokenizer are the base's)
            Console.WriteLine($"base + adapters:  {Shown(m.Folder.Path)} + {string.Join(", ", m.Adapters.Select(Shown))} (merged in this order)");
        Console.WriteLine($"architecture:     {cfg.Architecture ?? cfg.ModelType} (model_type {cfg.ModelType})");
        if (m.Folder.IsModel2Vec) Console.WriteLine("format:           Model2Vec (inputs as model2vec's encode: no special tokens, unknown tokens dropped)");
        Console.WriteLine($"parameters:       {m.ParameterCount:N0}" +
            (crossEncoder is null ? "" : $" + {crossEncoder.Head.Parameters.Sum(x => (long)x.Length):N0} in the classification head"));
        long matrices = m.Transformer.Parameters.Where(x => x.Shape.Length == 2).Sum(x => (long)x.Length);
        bool narrow = m.WeightPrecision != WeightPrecision.Float32;
        // A `skald quantize` folder holds its Linear weights in int8 alone (Parameter.Bytes counts that form).
        long asF32 = m.IsInt8Only ? m.Parameters.Sum(x => 4L * x.Length) : m.WeightBytes + (narrow ? 2 * matrices : 0);
        string other = narrow || m.IsInt8Only
            ? $"float32 would take {Size(asF32)}"
            : $"{Size(asF32 - 2 * matrices)} with --weights bf16";
        string held = m.IsInt8Only ? "int8 Linear weights (quantization_config.json), float32 embeddings, norms and biases" : m.WeightPrecision switch
        {
            WeightPrecision.BFloat16 => "bfloat16 matrices, float32 norms and biases",
            WeightPrecision.Float16 => "float16 matrices, float32 norms and biases",
            _ => "float32",
        };
        Console.WriteLine($"weight memory:    {Size(m.WeightBytes)} ({held}; {other})");
        foreach (var t in m.Parameters.Where(x => x.IsFileBacked && x.IsTable))
            Console.WriteLine($"in the file:      {t.Name} [{string.Join(", ", t.Shape)}], {Size(t.Bytes)} of the above: its rows are read as texts use them");
        Console.WriteLine($"layers:           {cfg.NumLayers}, hidden {cfg.HiddenSize}, heads {cfg.NumHeads}, intermediate {cfg.IntermediateSize}, {cfg.HiddenAct}");
        if (crossEncoder is not null)
        {
            // A cross-encoder scores pairs: no embedding, pooling or similarity to describe.
            Console.WriteLine($"cross-encoder:    {Counted.Of(crossEncoder.NumLabels, "label")} ({string.Join(", ", crossEncoder.Config.Labels)}), activation " +
                $"{crossEncoder.Activation}; {(crossEncoder.NumLabels == 1 ? "a reranker (skald rerank, classify)" : crossEncoder.Config.MultiLabel ? "a multi-label classifier of pairs, several labels may hold at once (skald classify)" : "a classifier of pairs (skald classify)")}");
            Console.WriteLine($"max length:       {crossEncoder.MaxLength} tokens per pair");
            Console.WriteLine($"tokenizer:        {m.Tokenizer.ModelKind}, vocabulary {m.Tokenizer.VocabSize:N0}");
            Console.WriteLine($"gemm backend:     {Skald.Tensors.Gemm.Blas.Backend.Name}");
            return 0;
        }
        Console.WriteLine($"embedding dim:    {m.Dimension}");
        Console.WriteLine($"max length:       {(m.MaxSeqLength == int.MaxValue ? "no limit (a static model reads every token)" : $"{m.MaxSeqLength} tokens")}");
        string source = m.Folder.Llm2Vec is { } l2v
            ? $" (llm2vec_config.json pooling_mode {l2v.PoolingModeName}{(l2v.SkipInstruction ? ", instruction excluded" : "")})"
            : m.Folder.IsSentenceTransformers ? "" : " (default: no modules.json)";
        if (m.Folder.Splade is { } splade)
        {
            Console.WriteLine($"pooling:          SPLADE, {SpladeConfig.Name(splade.Strategy)} of {SpladeConfig.Name(splade.Activation)}-activated masked-LM logits ({m.SpladeHead!.Layout.Architecture}'s head): a sparse encoder, one weight per vocabulary entry");
            if (m.StaticQuery is not null)
                Console.WriteLine("queries:          inference-free: the query route (SparseStaticEmbedding) weighs each token a query holds, no transformer");
        }
        else
            Console.WriteLine($"pooling:          {string.Join("+", modes).ToLowerInvariant()}{(m.Pooling.IncludePrompt ? "" : " (prompt excluded)")}{source}");
        Console.WriteLine($"attention:        {(m.Folder.Bidirectional ? "bidirectional (LLM2Vec)" : "as the architecture defines")}, padding {m.PaddingSide.ToString().ToLowerInvariant()}");
        foreach (var d in m.Dense) Console.WriteLine($"dense:            {d.InFeatures} → {d.OutFeatures}, {d.ActivationFunction}");
        Console.WriteLine($"normalize:        {(m.Folder.Normalize ? "yes" : "no")}");
        if (m.AutoEncoder is { Config: var sae })
            Console.WriteLine($"sparse:           CSR, SparseAutoEncoder {sae.InputDim} → {sae.HiddenDim} latents, top {sae.K} kept{(sae.Normalize ? ", input standardised" : "")}: a sparse encoder");
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
