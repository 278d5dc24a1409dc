using Skald.Cli.Output;
using Skald.Hub;
using Skald.Training;
using Skald.Training.Config;
using Skald.Training.Trainer;

namespace Skald.Cli.IO;

/// <summary>
/// transformers' <c>hub_strategy</c> (<c>output.hub_strategy</c>) while training: at each checkpoint the model as it is
/// then (every_save, and the two below) and the checkpoint itself (checkpoint: to <c>last-checkpoint/</c>;
/// all_checkpoints: to <c>checkpoints/step-N/</c>) are staged aside and committed to <c>output.hub_model_id</c> in one
/// commit on a background task, one at a time: a checkpoint written while the previous push is still uploading is not
/// pushed, as transformers skips a push while one is in progress; <see cref="Finish"/> waits for the last. A failed
/// push is a warning, never the end of the run (everything stays on disk). <see cref="Fetch"/> is the other half: a run
/// that would resume but has no local checkpoint first takes the repository's <c>last-checkpoint/</c>, so training
/// goes on on another machine.
/// </summary>
internal sealed class HubCheckpoints(OutputSection output, bool quiet)
{
    /// <summary>The folder in the repository that <c>hub_strategy: checkpoint</c> keeps the latest checkpoint in (transformers' name).</summary>
    public const string LastCheckpoint = "last-checkpoint";

    private Task<HubCommit>? pending;
    private int pendingStep;
    private bool toldMerged;

    /// <summary>A pusher when <paramref name="output"/> pushes during training, else null.</summary>
    public static HubCheckpoints? For(OutputSection output, bool quiet) =>
        output.PushToHub && output.HubStrategy != "end" ? new HubCheckpoints(output, quiet) : null;

    /// <summary>The trainer's <see cref="TrainerSetup.CheckpointSaved"/>: stages and starts pushing what the strategy pushes.</summary>
    public void Saved(SavedCheckpoint checkpoint)
    {
        int step = checkpoint.Step;
        if (pending is { IsCompleted: false })
        {
            Terminal.Log($"hub: step {step} is not pushed, step {pendingStep}'s push is still uploading", quiet);
            return;
        }
        Report();
        string staging = Path.Combine(output.Dir, ".hub-push");
        if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        Directory.CreateDirectory(staging);
        if (checkpoint.SaveModel is { } save) save(staging); // the model as the final one is written, card included
        else if (!toldMerged)
        {
            toldMerged = true;
            Terminal.Log("hub: a LoRA model saved merged is pushed when training ends (saving it now would merge the adapters being trained)", quiet);
        }
        Directory.CreateDirectory(staging);
        string? folder = output.HubStrategy switch { "checkpoint" => LastCheckpoint, "all_checkpoints" => $"checkpoints/step-{step}", _ => null };
        if (folder is not null)
        {
            string target = Path.Combine(staging, folder);
            Directory.CreateDirectory(target);
            foreach (var file in Directory.GetFiles(checkpoint.Folder)) File.Copy(file, Path.Combine(target, Path.GetFileName(file))); // the store may prune it meanwhile
        }
        if (!Directory.EnumerateFileSystemEntries(staging).Any()) return;
        var request = new HubUploadRequest
        {
            Repo = output.HubModelId!,
            Source = staging,
            Private = output.HubPrivateRepo ? true : null,
            Message = $"Training in progress, step {step}",
        };
        pendingStep = step;
        pending = Task.Run(async () =>
        {
            using var uploader = new HubUploader(HubSettings.FromEnvironment());
            return await uploader.UploadAsync(request).ConfigureAwait(false);
        });
    }

    /// <summary>Waits for the upload in progress and reports it.</summary>
    public void Finish()
    {
        try { pending?.Wait(); }
        catch (AggregateException) { } // reported below
        Report();
    }

    private void Report()
    {
        if (pending is not { IsCompleted: true } done) return;
        pending = null;
        if (done.IsCompletedSuccessfully)
            Terminal.Log($"hub: pushed step {pendingStep} to {output.HubModelId} ({done.Result.CommitUrl})", quiet);
        else
            Terminal.Log($"hub: warning: pushing step {pendingStep} failed ({done.Exception?.InnerException?.Message}); its checkpoint is still in {output.Dir}", quiet);
    }

    /// <summary>
    /// Before a run with <c>hub_strategy: checkpoint</c> and <c>output.resume</c> that has no local checkpoint: the
    /// repository's <c>last-checkpoint/</c> becomes <c>checkpoints/step-N</c> (N from its trainer_state.json), which the
    /// trainer then resumes from. Nothing happens when the repository or the folder does not exist yet.
    /// </summary>
    public static void Fetch(OutputSection output, bool quiet)
    {
        if (!output.PushToHub || output.HubStrategy != "checkpoint" || !output.Resume) return;
        var store = new CheckpointStore(Path.Combine(output.Dir, "checkpoints"), output.SaveTotalLimit);
        if (store.Latest() is not null) return; // a local checkpoint is newer than or as new as the hub's
        string incoming = Path.Combine(output.Dir, ".hub-fetch");
        if (Directory.Exists(incoming)) Directory.Delete(incoming, recursive: true);
        int files = HubFolderDownload.Download(HubSettings.FromEnvironment(), output.HubModelId!, LastCheckpoint, incoming);
        if (files == 0)
        {
            Terminal.Log($"hub: {output.HubModelId} has no {LastCheckpoint}/ yet; training starts from the beginning", quiet);
            return;
        }
        string statePath = Path.Combine(incoming, "trainer_state.json");
        if (!File.Exists(statePath)) throw new TrainingException($"{output.HubModelId}/{LastCheckpoint}: no trainer_state.json; not a Skald checkpoint");
        int step;
        try { step = TrainerState.FromJson(File.ReadAllText(statePath)).GlobalStep; }
        catch (Exception e) when (e is System.Text.Json.JsonException or FormatException) { throw new TrainingException($"{output.HubModelId}/{LastCheckpoint}/trainer_state.json: not valid ({e.Message})"); }
        string target = Path.Combine(store.Root, $"step-{step}");
        Directory.CreateDirectory(store.Root);
        Directory.Move(incoming, target);
        Terminal.Log($"hub: fetched {output.HubModelId}/{LastCheckpoint} (step {step}) to resume from", quiet);
    }
}
