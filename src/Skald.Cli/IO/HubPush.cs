using System.Globalization;
using Skald.Cli.Output;
using Skald.Hub;
using Skald.Retrieval.Data;
using Skald.Training;
using Skald.Training.Config;
using Skald.Tokenizers.Serialization;

namespace Skald.Cli.IO;

/// <summary>
/// A training config's <c>output.push_to_hub</c>: the final model folder uploaded to <c>output.hub_model_id</c> once
/// training ends (<see cref="HubUploader"/>, as <c>skald upload</c>), with the token checked before training starts so
/// that a missing one does not cost a whole run.
/// </summary>
internal static class HubPush
{
    /// <summary>Fails with one line when <paramref name="output"/> pushes to the hub but nothing could (offline, no token).</summary>
    public static void Check(OutputSection output)
    {
        if (!output.PushToHub) return;
        var settings = HubSettings.FromEnvironment();
        if (settings.Offline) throw new TrainingException("output.push_to_hub: HF_HUB_OFFLINE is set, so the final model could not be uploaded; unset one of them");
        if (settings.Token is null)
            throw new TrainingException($"output.push_to_hub: uploading {output.HubModelId} needs a token with write access: set HF_TOKEN or write it to $HF_HOME/token before training");
    }

    /// <summary>Uploads <paramref name="modelPath"/> when <paramref name="output"/> asks for it; logs and returns the commit's address (null when not pushed).</summary>
    public static string? Push(OutputSection output, string modelPath, bool quiet)
    {
        if (!output.PushToHub || output.HubModelId is not { } repo) return null;
        using var uploader = new HubUploader(HubSettings.FromEnvironment());
        var request = new HubUploadRequest
        {
            Repo = repo,
            Source = modelPath,
            Private = output.HubPrivateRepo ? true : null,
            Message = "Upload model trained with Skald",
        };
        HubCommit done;
        try
        {
            done = ProgressView.Run($"uploading to {repo}", true, quiet, bar =>
                uploader.Upload(request, new HubProgressReporter(r => bar.Report(r.Bytes, r.TotalBytes, $"{r.Files}/{r.TotalFiles} large files"))));
        }
        catch (HubException e)
        {
            throw new HubException($"{e.Message} (the trained model is in {modelPath}; upload it with skald upload --folder {modelPath} --repo {repo})", e);
        }
        Terminal.Log(string.Create(CultureInfo.InvariantCulture,
            $"pushed {modelPath} to {repo}: {(done.FilesCommitted + done.FilesDeleted == 0 ? "nothing had changed" : $"{Counted.Of(done.FilesCommitted, "file")} committed")} ({done.CommitUrl})"), quiet);
        return done.CommitUrl;
    }
}
