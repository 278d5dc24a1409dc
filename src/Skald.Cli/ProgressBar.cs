using System.Diagnostics;

namespace Skald.Cli;

/// <summary>A one-line progress bar on stderr (only when stderr is a terminal and the job is long).</summary>
internal sealed class ProgressBar(string label, int total, bool enabled) : IDisposable
{
    private readonly bool enabled = enabled && !Console.IsErrorRedirected;
    private readonly Stopwatch clock = Stopwatch.StartNew();
    private long lastDraw = -1000;

    public void Report(int done, int of)
    {
        if (!enabled) return;
        long now = clock.ElapsedMilliseconds;
        if (done < of && now - lastDraw < 200) return;
        lastDraw = now;
        const int width = 30;
        int filled = of == 0 ? width : (int)((long)done * width / of);
        double rate = done / Math.Max(clock.Elapsed.TotalSeconds, 1e-3);
        double eta = rate > 0 ? (of - done) / rate : 0;
        Console.Error.Write($"\r{label} [{new string('#', filled)}{new string('.', width - filled)}] {done}/{total}  {rate:F0}/s  eta {eta:F0}s ");
    }

    public void Done()
    {
        if (enabled) Console.Error.WriteLine();
    }

    public void Dispose() { }
}
