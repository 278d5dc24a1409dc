using System.CommandLine;
using Skald.Cli.CommandLine;
using Skald.Cli.IO;
using Skald.Cli.Output;
using Skald.Models;
using Skald.Models.Quantization;
using Skald.Tensors.Quantization;

namespace Skald.Cli.Commands;

/// <summary><c>skald quantize</c>: a model folder saved with int8 Linear weights (loaded back as int8, no re-quantising).</summary>
internal sealed class QuantizeCommand : Command
{
    private readonly Option<string> model = CliOptions.Text("--model", "Model folder (sentence-transformers, plain Hugging Face, or a cross-encoder), or a hub id org/name[@revision]", "DIR|ID", required: true);
    private readonly Option<string> output = CliOptions.Text("--output", "New folder for the int8 model (must not exist or be empty)", "DIR", required: true);
    private readonly Option<string> to = CliOptions.Choice("--to", "Weight format: int8 (one float32 scale per output row)", "int8", "int8");

    public QuantizeCommand() : base("quantize", "Save a model with int8 Linear weights (a quarter of their float32 size); encode/evaluate/serve load it as int8")
    {
        Options.Add(model);
        Options.Add(output);
        Options.Add(to);
        SetAction(Run);
    }

    private int Run(ParseResult p)
    {
        bool quiet = p.GetValue(CliOptions.Quiet);
        if (Int8Gemm.Best is null) throw new InputException("skald quantize: this CPU has neither AVX-VNNI nor AVX2, which int8 needs");
        string dir = p.GetValue(output)!;
        CliOptions.RequireNewFolder(dir);
        string source = HubModels.Resolve(p.GetValue(model)!, quiet);
        // an adapter folder is a cross-encoder when its base is one (loaded as an embedding model it lost its head)
        bool adapter = Skald.Models.Modules.ModelFolder.IsAdapterFolder(source);
        string baseModel = adapter ? Skald.Models.Adapters.AdapterBase.Expand(source, null).Model : source;
        bool crossBase = Directory.Exists(baseModel) && Skald.Models.CrossEncoders.CrossEncoder.IsCrossEncoder(baseModel);
        if (adapter && !crossBase && Skald.Models.CrossEncoders.CrossEncoder.IsCrossEncoder(source))
        {
            // a SEQ_CLS adapter over a base without a head: its head is in the adapter, and the base's folder (whose files
            // an int8 save copies) is an embedding model, so the save would be neither a working cross-encoder nor the model
            throw new InputException($"{source}: a SEQ_CLS adapter (a cross-encoder) over {baseModel}, which has no classification head: " +
                $"skald quantize saves cross-encoders whose base has one; merge it into one first (skald merge --model {baseModel} --adapters {source} " +
                "--output MERGED, then quantize MERGED), or run it in int8 at load (skald rerank --model ADAPTER --quantize int8, " +
                "or serve --reranker ADAPTER --quantize int8)");
        }
        if (crossBase)
        {
            using var crossEncoder = Skald.Models.CrossEncoders.CrossEncoder.Load(source);
            var crossKeys = Int8Checkpoint.Save(crossEncoder, dir);
            Terminal.Log($"wrote {dir}: a cross-encoder with {crossKeys.Count} Linear weights in int8 ({Int8Checkpoint.ConfigFile}), its head in float32", quiet);
            return 0;
        }
        using var encoder = SentenceEncoder.Load(source);
        if (encoder.Transformer.Parameters.Count == 0 || encoder.Folder.IsStatic)
            throw new InputException($"{encoder.Folder.Path}: a static embedding model has no Linear layers to quantise");
        var keys = Int8Checkpoint.Save(encoder, dir);
        Terminal.Log($"wrote {dir}: {keys.Count} Linear weights in int8 ({Int8Checkpoint.ConfigFile})", quiet);
        return 0;
    }
}
