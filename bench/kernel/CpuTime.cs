using System.Runtime.InteropServices;

namespace Skald.Bench.Kernel;

/// <summary>CPU clocks (clock_gettime): the calling thread's or the whole process's, in seconds.</summary>
internal static partial class CpuTime
{
    public static double Thread() => Read(3); // CLOCK_THREAD_CPUTIME_ID

    public static double Process() => Read(2); // CLOCK_PROCESS_CPUTIME_ID

    private static double Read(int clock)
    {
        clock_gettime(clock, out var ts);
        return ts.Seconds + ts.Nanoseconds * 1e-9;
    }

    [LibraryImport("libc")]
    private static partial int clock_gettime(int clock, out TimeSpec ts);

    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }
}
