using Skald.Cli.IO;

namespace Skald.Cli.Pipeline;

/// <summary>
/// The stages of a pipeline run that run again although an earlier run finished them with the same settings
/// (<see cref="StageMarks"/>): <c>--from NAME</c>, that stage and every one after it (they read its output), or
/// <c>--force</c>, every stage (<paramref name="stage"/> null).
/// </summary>
internal sealed class RerunFrom(string? stage)
{
    /// <summary>The option as given, for the log: <c>--force</c> or <c>--from NAME</c>.</summary>
    public string Option => stage is null ? "--force" : $"--from {stage}";

    /// <summary>The index of the first stage that runs again; a name no stage has is one line naming the stages.</summary>
    public int Index(IReadOnlyList<StageConfig> stages)
    {
        if (stage is null) return 0;
        for (int i = 0; i < stages.Count; i++)
        {
            if (stages[i].Name == stage) return i;
        }
        throw new InputException($"--from {stage}: no stage is named \"{stage}\" (stages: {string.Join(", ", stages.Select(s => s.Name))})");
    }
}
