using System.CommandLine;
using Skald.Cli.CommandLine;
using Skald.Cli.IO;
using Skald.Cli.Output;
using Skald.Hub;
using Skald.Models.Checkpoints;

namespace Skald.Cli.Commands;

/// <summary>
/// <c>skald download</c>: fetches the files a model needs into the shared cache ahead of time (a container image build,
/// a machine about to go offline), as any verb would on first use, and prints the snapshot folder; with
/// <c>--local-dir</c> the files are also copied out of the cache into a plain folder (huggingface_hub's
/// <c>hf download --local-dir</c>).
/// </summary>
internal sealed class DownloadCommand : Command
{
    private readonly Option<string> model = CliOptions.Text("--model", "Hub id org/name[@revision] of the model (or adapter) to fetch", "ID", required: true);
    private readonly Option<string> localDir = CliOptions.Text("--local-dir", "Also copy the files into this folder (plain files, no cache links; replaced whole)", "DIR");

    public DownloadCommand() : base("download", "Fetch a model's files from the Hugging Face hub into the shared cache (HF_HOME) and print where they are")
    {
        Options.Add(model);
        Options.Add(localDir);
        SetAction(Run);
    }

    private int Run(ParseResult p)
    {
        bool quiet = p.GetValue(CliOptions.Quiet);
        string id = p.GetValue(model)!;
        if (HubId.TryParse(id) is null) throw new UsageException($"--model \"{id}\" is not a hub id (org/name[@revision])");
        if (Directory.Exists(id)) throw new UsageException($"--model \"{id}\" is a local folder, not a hub id");
        string snapshot = HubModels.Resolve(id, quiet);
        string? copy = p.GetValue(localDir);
        if (copy is not null)
        {
            StagingPaths.ReplaceFolder(copy, staging =>
            {
                foreach (string file in Directory.EnumerateFiles(snapshot, "*", SearchOption.AllDirectories))
                {
                    string target = Path.Combine(staging, Path.GetRelativePath(snapshot, file));
                    Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                    File.Copy(file, target); // follows the snapshot's link to its blob
                }
            });
            Terminal.Log($"copied {id} ({Directory.EnumerateFiles(copy, "*", SearchOption.AllDirectories).Count()} files) to {copy}", quiet);
        }
        Console.Out.WriteLine(copy ?? snapshot);
        return 0;
    }
}
