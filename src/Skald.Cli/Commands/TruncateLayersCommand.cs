using System.CommandLine;
using Skald.Cli.CommandLine;
using Skald.Cli.IO;
using Skald.Cli.Output;
using Skald.Models;
using Skald.Models.CrossEncoders;

namespace Skald.Cli.Commands;

/// <summary>
/// <c>skald truncate-layers</c>: a model folder with only its first N transformer layers (after training with
/// <c>loss.adaptive_layer</c>, sentence-transformers' AdaptiveLayerLoss / Matryoshka2dLoss), a smaller model of the
/// same architecture that every loader reads (<see cref="LayerTruncation"/>); a cross-encoder (reranker) keeps its
/// classification head and its config; a PEFT adapter folder is cut as its base with the adapter merged (a cross-encoder
/// adapter as <c>skald merge</c> saves it).
/// </summary>
internal sealed class TruncateLayersCommand : Command
{
    private readonly Option<string> model = CliOptions.Text("--model", "Model folder (an embedding model or a cross-encoder, its head kept), a PEFT adapter folder (cut with the adapter merged), or a hub id org/name[@revision]", "DIR|ID", required: true);
    private readonly Option<int?> layers = CliOptions.Int("--layers", "Transformer layers to keep (the first N)", min: 1);
    private readonly Option<string> output = CliOptions.Text("--output", "New folder for the smaller model (must not exist or be empty)", "DIR", required: true);

    public TruncateLayersCommand() : base("truncate-layers", "Save a model with only its first N transformer layers (faster; train with loss.adaptive_layer first)")
    {
        Options.Add(model);
        Options.Add(layers);
        Options.Add(output);
        layers.Required = true;
        SetAction(Run);
    }

    private int Run(ParseResult p)
    {
        bool quiet = p.GetValue(CliOptions.Quiet);
        string dir = p.GetValue(output)!;
        CliOptions.RequireNewFolder(dir);
        string source = HubModels.Resolve(p.GetValue(model)!, quiet);
        OutputPath.NotInsideInput(dir, source); // the smaller model is a new folder, never one inside the model it is cut from
        var (folder, weights, adapters) = SentenceEncoder.Sources(source); // an adapter folder reads its base's folders too
        foreach (string read in new[] { folder.Path, weights }.Concat(adapters).Distinct(StringComparer.Ordinal)) OutputPath.NotInsideInput(dir, read);
        int keep = p.GetValue(layers)!.Value;
        int total = adapters.Count > 0 && CrossEncoder.IsCrossEncoder(source) ? CutCrossEncoderAdapter(source, keep, dir) : LayerTruncation.Write(source, keep, dir);
        Terminal.Log($"wrote {dir}: the first {keep} of {total} layers of {source}", quiet);
        return 0;
    }

    // A PEFT adapter folder that loads as a cross-encoder (a SEQ_CLS adapter, or one on a cross-encoder): cut as skald merge
    // would save it, its head (the base's, or the adapter's modules_to_save) and the merged layers it keeps.
    private static int CutCrossEncoderAdapter(string source, int keep, string dir)
    {
        using var model = CrossEncoder.Load(source);
        Training.CrossEncoders.CrossEncoderSaver.Save(model, dir, keep);
        return model.Transformer.Config.NumLayers;
    }
}
