using System.Diagnostics;

// The probe's one timer: the best of three half-second rounds of `run` (called `batch` times between clock reads,
// after 10 · batch warm-up calls), as `work` units (operations, FLOPs) per CPU second of the process, in billions.
internal static class CpuTimer
{
    public static double Best(Action run, double work, int batch)
    {
        for (int i = 0; i < 10 * batch; i++) run();
        var proc = Process.GetCurrentProcess();
        double best = 0;
        for (int round = 0; round < 3; round++)
        {
            proc.Refresh();
            double c0 = proc.TotalProcessorTime.TotalSeconds;
            var sw = Stopwatch.StartNew();
            long n = 0;
            while (sw.Elapsed.TotalSeconds < 0.5)
            {
                for (int i = 0; i < batch; i++) run();
                n += batch;
            }
            proc.Refresh();
            best = Math.Max(best, work * n / (proc.TotalProcessorTime.TotalSeconds - c0) / 1e9);
        }
        return best;
    }
}
