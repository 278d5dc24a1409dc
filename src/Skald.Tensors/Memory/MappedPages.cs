using System.Runtime.InteropServices;

namespace Skald.Tensors.Memory;

/// <summary>
/// Gives back the resident pages of a read-only file mapping that the process has finished reading (Linux
/// <c>madvise(MADV_DONTNEED)</c>): the file stays mapped and a later read faults the pages in again from the page
/// cache, so copying a mapped tensor out does not leave the file's pages counted beside the copy. Advice only: on other
/// systems, or when it fails, nothing changes.
/// </summary>
public static unsafe class MappedPages
{
    private const int MadviseDontNeed = 4;
    private static bool canRelease = OperatingSystem.IsLinux();

    /// <summary>Releases the whole pages that [<paramref name="start"/>, start + <paramref name="length"/>) touches.</summary>
    public static void Release(byte* start, long length)
    {
        if (!canRelease || length <= 0) return;
        long page = Environment.SystemPageSize;
        long from = (long)start & ~(page - 1), to = ((long)start + length + page - 1) & ~(page - 1);
        try
        {
            _ = Madvise((nint)from, (nuint)(to - from), MadviseDontNeed);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            canRelease = false;
        }
    }

    [DllImport("libc", EntryPoint = "madvise", SetLastError = false)]
    private static extern int Madvise(nint address, nuint length, int advice);
}
