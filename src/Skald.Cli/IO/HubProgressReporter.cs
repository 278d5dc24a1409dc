using Skald.Hub;

namespace Skald.Cli.IO;

/// <summary>Hub download or upload progress handed straight to a callback on the reporting thread (a progress bar).</summary>
internal sealed class HubProgressReporter(Action<HubProgress> report) : IProgress<HubProgress>
{
    /// <inheritdoc/>
    public void Report(HubProgress value) => report(value);
}
