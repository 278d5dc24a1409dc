using System.CommandLine;
using System.Globalization;
using Skald.Cli.CommandLine;
using Skald.Cli.IO;
using Skald.Cli.Output;
using Skald.Training.Config;
using Skald.Training.Trainer;
using Counted = Skald.Tokenizers.Serialization.Counted;

namespace Skald.Cli.Commands;

/// <summary><c>skald train</c>: fine-tunes a model as a YAML config describes (see configs/train-example.yaml).</summary>
internal sealed class TrainCommand : Command
{
    private readonly Option<string> config = CliOptions.Text("--config", "Training config (YAML; configs/train-example.yaml documents every key)", "FILE", required: true);
    private readonly Option<string[]> set = CliOptions.Assignments("--set",
        "Override one config key, e.g. --set training.batch_size=16 (repeatable; the value is read as YAML)",
        "section.key=value", ConfigLoader.OverrideError);
    private readonly Option<bool> quickTest = CliOptions.Flag("--quick-test",
        $"Check a setup in minutes: {ConfigLoader.QuickTestSamples} rows per file, at most {ConfigLoader.QuickTestSteps} steps, evaluation and a checkpoint at the end");

    public TrainCommand() : base("train", "Fine-tune a model as a YAML config describes; re-run the same command to resume from the newest checkpoint in output.dir")
    {
        Options.Add(config);
        Options.Add(set);
        Options.Add(quickTest);
        SetAction(Run);
    }

    private int Run(ParseResult p)
    {
        var loaded = ConfigLoader.Load(p.GetValue(config)!, p.GetValue(set) ?? [], p.GetValue(quickTest));
        bool quiet = p.GetValue(CliOptions.Quiet);
        var progress = new TrainProgress(loaded.Training.LoggingSteps, quiet);
        var world = Cli.World;
        if (world.Rank == 0)
        {
            HubPush.Check(loaded.Output);
            HubCheckpoints.Fetch(loaded.Output, quiet); // hub_strategy checkpoint: resume where another machine left off
        }
        world.Barrier();
        HubModels.Prefetch(loaded, quiet || world.Rank != 0); // download bars; the run then reads the cache
        using var built = TrainingRun.Build(loaded, progress.Report, quiet ? null : m => Terminal.Log(m, quiet), world); // disposed (a teacher, a guide) when the run is done
        var checkpoints = world.Rank == 0 ? HubCheckpoints.For(loaded.Output, quiet) : null;
        var setup = checkpoints is null ? built : built with { CheckpointSaved = checkpoints.Saved };
        var trainer = new SentenceTrainer(setup);
        trainer.TotalSteps(out _); // the step count's checks (accumulation, epochs) before anything is announced
        Terminal.Log($"training {loaded.Model.Path} on {setup.Train.Sum(d => d.Count):N0} rows " +
                     $"({string.Join(", ", Skald.Training.Data.DatasetNames.Short([.. setup.Train.Select(d => d.Name)]))}), loss {loaded.Loss.Type}, world_size {world.Size}" +
                     (world.Size > 1 ? $" (batch {loaded.Training.BatchSize} split across the ranks, {Counted.Of(Skald.Tensors.Parallelism.MaxThreads, "thread")} each)" : "") +
                     (loaded.QuickTest ? " [quick test]" : ""), quiet);
        if (BaseWeights.Describe(setup.Model) is { } weights) Terminal.Log(weights, quiet);
        var result = ProgressView.Run("training", show: true, quiet, view =>
        {
            progress.View = view;
            return trainer.Run();
        });
        checkpoints?.Finish();
        if (world.Rank == 0) HubPush.Push(loaded.Output, result.ModelPath, quiet);
        if (quiet) return 0;
        var metrics = new ResultTable("final metrics", "metric", "value");
        foreach (var (k, v) in result.FinalMetrics) metrics.Add(k, v.ToString("F4", CultureInfo.InvariantCulture));
        if (result.FinalMetrics.Count > 0 && Terminal.Stderr(quiet) is { } console) metrics.Write(console, Console.Error);
        else foreach (var (k, v) in result.FinalMetrics) Console.Error.WriteLine($"  {k} = {v.ToString("F4", CultureInfo.InvariantCulture)}");
        Terminal.Log($"saved the model to {result.ModelPath} after {Counted.Of(result.Steps, "step")}", quiet);
        return 0;
    }
}
