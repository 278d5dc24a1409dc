using System.Text.Json;
using System.Text.Json.Serialization;

namespace Skald.Training.Trainer;

/// <summary>
/// <c>trainer_state.json</c> of a checkpoint: everything besides weights and optimiser moments that an exact resume
/// needs — step, data position, random generator states, scheduler, best metric, the open logging window.
/// </summary>
public sealed record TrainerState
{
    /// <summary>Optimiser steps done.</summary>
    public int GlobalStep { get; init; }

    /// <summary>Progress in epochs (fractional), as logged.</summary>
    public double Epoch { get; init; }

    /// <summary>Data position: the epoch whose plan is being consumed.</summary>
    public int DataEpoch { get; init; }

    /// <summary>Data position: batches of that epoch's plan already used.</summary>
    public int DataBatch { get; init; }

    /// <summary>Micro-batches consumed in total.</summary>
    public long MicroBatches { get; init; }

    /// <summary>Training rows seen in total.</summary>
    public long SamplesSeen { get; init; }

    /// <summary>The model's dropout generator (<c>SkaldRandom.SaveState</c>), as hex strings.</summary>
    public IReadOnlyList<string> ModelRng { get; init; } = [];

    /// <summary>The sampler's seed (its generator for epoch e is <c>BatchPlanner.EpochRandom(seed, e)</c>).</summary>
    public ulong SamplerSeed { get; init; }

    /// <summary>Scheduler kind.</summary>
    public string Scheduler { get; init; } = "linear";

    /// <summary>Scheduler peak rate.</summary>
    public float PeakLearningRate { get; init; }

    /// <summary>Scheduler warm-up steps.</summary>
    public int WarmupSteps { get; init; }

    /// <summary>Scheduler total steps.</summary>
    public int TotalSteps { get; init; }

    /// <summary>Rate of the last update.</summary>
    public float LastLearningRate { get; init; }

    /// <summary>Name of the metric that selects the best model.</summary>
    public string? BestMetricName { get; init; }

    /// <summary>Best value of that metric so far.</summary>
    public double? BestMetric { get; init; }

    /// <summary>Step of the best value.</summary>
    public int? BestStep { get; init; }

    /// <summary>Sum of losses in the logging window still open.</summary>
    public double LogLossSum { get; init; }

    /// <summary>Steps in the logging window still open.</summary>
    public int LogLossCount { get; init; }

    /// <summary>Processes of the data-parallel run that wrote the state (1 without mpirun).</summary>
    public int WorldSize { get; init; } = 1;

    /// <summary>Fingerprint of the settings that must not change across a resume.</summary>
    public string ConfigFingerprint { get; init; } = "";

    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>The JSON text.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Options);

    /// <summary>
    /// Parses the JSON text; a state no run writes (a negative step or data position, a generator state that is not four
    /// hex numbers) is a <see cref="FormatException"/> naming the field.
    /// </summary>
    public static TrainerState FromJson(string json)
    {
        var state = JsonSerializer.Deserialize<TrainerState>(json, Options) ?? throw new JsonException("trainer_state.json is null");
        foreach (var (name, value) in new (string, long)[]
                 {
                     ("global_step", state.GlobalStep), ("data_epoch", state.DataEpoch), ("data_batch", state.DataBatch),
                     ("micro_batches", state.MicroBatches), ("samples_seen", state.SamplesSeen), ("log_loss_count", state.LogLossCount),
                 })
        {
            if (value < 0) throw new FormatException($"{name} is {value}; expected 0 or more");
        }
        if (state.ModelRng is not { Count: 4 } rng || rng.Any(h => !ulong.TryParse(h, System.Globalization.NumberStyles.AllowHexSpecifier,
                System.Globalization.CultureInfo.InvariantCulture, out _)))
            throw new FormatException("model_rng must be the dropout generator's state: four hex numbers");
        if ((FromHex(rng)[1] & 1) == 0) throw new FormatException("model_rng is not a generator state (its increment must be odd)");
        return state;
    }

    /// <summary>Hex strings of a generator state.</summary>
    public static IReadOnlyList<string> Hex(ulong[] state) => state.Select(v => v.ToString("x16")).ToArray();

    /// <summary>A generator state from hex strings.</summary>
    public static ulong[] FromHex(IReadOnlyList<string> hex) =>
        hex.Select(h => ulong.Parse(h, System.Globalization.NumberStyles.HexNumber)).ToArray();
}
