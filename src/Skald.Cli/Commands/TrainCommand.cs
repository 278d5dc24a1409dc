using System.Diagnostics;
using System.Globalization;
using Skald.Training.Config;
using Skald.Training.Trainer;

namespace Skald.Cli.Commands;

/// <summary><c>skald train</c>: fine-tunes a model as a YAML config describes (see configs/train-example.yaml).</summary>
internal static class TrainCommand
{
    public const string Usage =
        "skald train --config FILE [--set section.key=value]... [--quick-test] [--quiet]\n" +
        "            (re-run the same command to resume from the newest checkpoint in output.dir)";

    public static int Run(IReadOnlyList<string> args)
    {
        // --set may repeat; CliArgs keeps one value per option, so collect the assignments first.
        var overrides = new List<string>();
        var rest = new List<string>();
        for (int i = 0; i < args.Count; i++)
        {
            if (args[i] == "--set")
            {
                if (i + 1 >= args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal))
                    throw new UsageException("option --set needs a value (section.key=value)");
                overrides.Add(args[++i]);
            }
            else if (args[i].StartsWith("--set=", StringComparison.Ordinal))
            {
                overrides.Add(args[i]["--set=".Length..]);
            }
            else
            {
                rest.Add(args[i]);
            }
        }
        var a = new CliArgs("train", rest, ["--config"], ["--quick-test", "--quiet"]);
        var config = ConfigLoader.Load(a.Require("--config"), overrides, a.Has("--quick-test"));
        bool quiet = a.Has("--quiet");
        var bar = new TrainProgress(config.Training.LoggingSteps, quiet);
        var setup = TrainingRun.Build(config, bar.Report, quiet ? null : bar.Note);
        if (!quiet)
        {
            Console.Error.WriteLine($"training {config.Model.Path} on {setup.Train.Sum(d => d.Count):N0} rows " +
                                    $"({string.Join(", ", setup.Train.Select(d => Path.GetFileName(d.Name)))}), loss {config.Loss.Type}" +
                                    (config.QuickTest ? " [quick test]" : ""));
        }
        var result = new SentenceTrainer(setup).Run();
        bar.Done();
        if (!quiet)
        {
            foreach (var (k, v) in result.FinalMetrics) Console.Error.WriteLine($"  {k} = {v.ToString("F4", CultureInfo.InvariantCulture)}");
            Console.Error.WriteLine($"saved the model to {result.ModelPath} after {result.Steps} steps");
        }
        return 0;
    }

    /// <summary>A one-line bar on a terminal (loss, learning rate, throughput, ETA); a log line per logging step otherwise.</summary>
    private sealed class TrainProgress(int loggingSteps, bool quiet)
    {
        private readonly bool terminal = !Console.IsErrorRedirected;
        private readonly Stopwatch clock = Stopwatch.StartNew();
        private long lastDraw = -1000;
        private bool drawn;

        public void Report(TrainingProgress p)
        {
            if (quiet) return;
            string line = string.Create(CultureInfo.InvariantCulture,
                $"step {p.Step}/{p.TotalSteps} epoch {p.Epoch:F2} loss {p.Loss:F4} lr {p.LearningRate:0.00e+00} {p.SamplesPerSecond:F1} samples/s eta {Eta(p.Eta)}");
            if (terminal)
            {
                long now = clock.ElapsedMilliseconds;
                if (p.Step < p.TotalSteps && now - lastDraw < 200) return;
                lastDraw = now;
                const int width = 24;
                int filled = (int)((long)p.Step * width / Math.Max(1, p.TotalSteps));
                Console.Error.Write($"\r[{new string('#', filled)}{new string('.', width - filled)}] {line} ");
                drawn = true;
            }
            else if (p.Step % loggingSteps == 0 || p.Step == p.TotalSteps)
            {
                Console.Error.WriteLine(line);
            }
        }

        public void Note(string message)
        {
            if (drawn)
            {
                Console.Error.WriteLine();
                drawn = false;
            }
            Console.Error.WriteLine(message);
        }

        public void Done()
        {
            if (drawn) Console.Error.WriteLine();
            drawn = false;
        }

        private static string Eta(TimeSpan t) => t.TotalHours >= 1 ? $"{(int)t.TotalHours}h{t.Minutes:D2}m" : $"{t.Minutes}m{t.Seconds:D2}s";
    }
}
