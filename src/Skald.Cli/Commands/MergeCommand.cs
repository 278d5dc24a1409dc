using System.CommandLine;
using Skald.Cli.CommandLine;
using Skald.Cli.IO;
using Skald.Cli.Output;
using Skald.Models;
using Skald.Models.Adapters;
using Skald.Models.CrossEncoders;
using Skald.Models.Modules;
using Skald.Models.Quantization;
using Skald.Retrieval.Data;
using Skald.Tokenizers.Serialization;

namespace Skald.Cli.Commands;

/// <summary>
/// <c>skald merge</c>: PEFT (LoRA, DoRA) adapters merged into their base model and saved as one float32 model folder
/// (peft's merge_and_unload + save_pretrained): sentence-transformers or transformers load it without peft, and an
/// LLM2Vec adapter's settings (llm2vec_config.json) come with it. A cross-encoder base, or a SEQ_CLS adapter (its
/// classification head in modules_to_save), is saved as a cross-encoder folder with its head.
/// </summary>
internal sealed class MergeCommand : Command
{
    private readonly Option<string> model = CliOptions.Text("--model", "Base model folder, or a hub id org/name[@revision]", "DIR|ID", required: true);
    private readonly Option<string> adapters = CliOptions.Text("--adapters", "PEFT adapter folders (or hub ids), comma-separated, merged in order", "DIR[,DIR...]", required: true);
    private readonly Option<string> output = CliOptions.Text("--output", "New folder for the merged model (must not exist or be empty)", "DIR", required: true);

    public MergeCommand() : base("merge", "Merge PEFT LoRA/DoRA adapters into their base model and save it as one model folder")
    {
        Options.Add(model);
        Options.Add(adapters);
        Options.Add(output);
        SetAction(Run);
    }

    private int Run(ParseResult p)
    {
        bool quiet = p.GetValue(CliOptions.Quiet);
        string dir = p.GetValue(output)!;
        CliOptions.RequireNewFolder(dir);
        var names = CliOptions.AdapterFolders(p.GetValue(adapters));
        var folders = names.Select(a => HubModels.Resolve(a, quiet)).ToList();
        string baseModel = HubModels.Resolve(p.GetValue(model)!, quiet);
        RefuseInt8(baseModel);
        if (CrossEncoder.IsCrossEncoder(baseModel) || folders.Any(AdapterBase.IsSequenceClassification))
            return MergeCrossEncoder(baseModel, folders, dir, quiet);
        using var encoder = SentenceEncoder.Load(baseModel, folders);
        Training.Output.ModelSaver.Save(encoder, dir);
        Terminal.Log($"wrote {dir}: {encoder.Folder.Path} with {Counted.Of(folders.Count, "adapter")} merged (the base is unchanged)", quiet);
        return 0;
    }

    // A base saved by skald quantize (int8 weights only, or the model of an adapter folder given as --model): refused
    // before anything is loaded, by the check the cross-encoder saver makes itself (Int8Checkpoint.RefuseMerge).
    private static void RefuseInt8(string baseModel)
    {
        string model = ModelFolder.IsAdapterFolder(baseModel) ? AdapterBase.Expand(baseModel, null).Model : baseModel;
        if (Directory.Exists(model)) Int8Checkpoint.RefuseMerge(model);
    }

    // A cross-encoder base, or a SEQ_CLS adapter (peft's sequence classifier, its head in modules_to_save): merged as
    // CrossEncoder.Load merges them and saved as a cross-encoder folder, head included, which scores as the adapters loaded do.
    private static int MergeCrossEncoder(string baseModel, List<string> folders, string dir, bool quiet)
    {
        using var crossEncoder = CrossEncoder.Load(baseModel, folders);
        Training.CrossEncoders.CrossEncoderSaver.Save(crossEncoder, dir);
        Terminal.Log($"wrote {dir}: {crossEncoder.Path} with {Counted.Of(folders.Count, "adapter")} merged (the base is unchanged; a cross-encoder, " +
            $"{Counted.Of(crossEncoder.Head.Parameters.Count, "head tensor")}, {Counted.Of(crossEncoder.NumLabels, "label")})", quiet);
        return 0;
    }
}
