using System.CommandLine;
using Skald.Cli.CommandLine;
using Skald.Cli.IO;
using Skald.Cli.Output;
using Skald.Models;

namespace Skald.Cli.Commands;

/// <summary>
/// <c>skald merge</c>: PEFT (LoRA, DoRA) adapters merged into their base model and saved as one float32 model folder
/// (peft's merge_and_unload + save_pretrained): sentence-transformers or transformers load it without peft, and an
/// LLM2Vec adapter's settings (llm2vec_config.json) come with it.
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
        using var encoder = SentenceEncoder.Load(HubModels.Resolve(p.GetValue(model)!, quiet), folders);
        Training.Output.ModelSaver.Save(encoder, dir);
        Terminal.Log($"merged {folders.Count} adapter(s) into {encoder.Folder.Path}: {dir}", quiet);
        return 0;
    }
}
