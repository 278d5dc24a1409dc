using System.Runtime.InteropServices;

namespace Skald.Retrieval.Index;

/// <summary>
/// Which file a path or an open file is, as the kernel tells it (Unix <c>stat</c> and <c>fstat</c>): the first 16 bytes
/// of <c>struct stat</c>, which are <c>st_dev</c> and <c>st_ino</c>, 8 bytes each, on 64-bit Linux (glibc's x86-64 and
/// generic layouts, the latter arm64's, and musl's), and hold both on macOS too (with the mode and link count, the same
/// for the same file), so they are compared whole. glibc before 2.33 exports no <c>stat</c> or <c>fstat</c> (they were
/// inline calls of <c>__xstat</c> and <c>__fxstat</c>): there those are called, with the layout version of x86-64 (1)
/// or arm64 (0). Two identities are equal exactly when they name one file of one volume: a file removed and created
/// again, or another volume mounted at the path, is another file. The same call tells, on Linux x86-64 and arm64, the
/// file's last status change (<c>st_ctim</c>, at byte 104 of both layouts, glibc's and musl's alike: see
/// <see cref="ChangeOffset"/>), which the kernel sets to its clock at every write or metadata change and a user cannot
/// set back, as the modification time can be.
/// </summary>
internal static partial class FileIdentity
{
    /// <summary>
    /// The identity of the file or folder at <paramref name="path"/>; null when there is none, or when it cannot be
    /// told (Windows, no <c>stat</c> to call).
    /// </summary>
    public static UInt128? Of(string path) => StatusOf(path)?.Identity;

    /// <summary>
    /// The identity of the file or folder at <paramref name="path"/> and the time of its last status change
    /// (<c>ctime</c>, nanoseconds since 1970; null where the layout is not known here: not Linux x86-64 or arm64), from
    /// one <c>stat</c>; null when there is no file, or when it cannot be told (Windows, no <c>stat</c> to call).
    /// </summary>
    public static (UInt128 Identity, long? Changed)? StatusOf(string path)
    {
        if (OperatingSystem.IsWindows()) return null;
        try
        {
            return Call(path, -1, legacy: false);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
        }
        try
        {
            return Call(path, -1, legacy: true);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    /// <summary>
    /// The identity of the file open as <paramref name="fd"/> (null when <c>fstat</c> fails), through glibc's older
    /// <c>__fxstat</c> when <paramref name="legacy"/> (null on a processor whose layout version is not known here).
    /// Throws <see cref="EntryPointNotFoundException"/> where the C library lacks the function.
    /// </summary>
    public static UInt128? OfOpen(int fd, bool legacy) => Call(null, fd, legacy)?.Identity;

    /// <summary><see cref="OfOpen"/> for the file at <paramref name="path"/> (null: no file there).</summary>
    public static UInt128? OfPath(string path, bool legacy) => Call(path, -1, legacy)?.Identity;

    /// <summary>
    /// Where <c>struct stat</c> holds <c>st_ctim</c> (seconds, then nanoseconds, 8 bytes each) on this system: byte 104 on
    /// Linux x86-64 (the kernel's layout, which glibc and musl pass on; <c>__xstat</c> version 1 the same) and arm64 (the
    /// generic layout, glibc's and musl's; <c>__xstat</c> version 0 the same); -1 elsewhere (macOS, another processor).
    /// </summary>
    internal static int ChangeOffset => (OperatingSystem.IsLinux()
        && RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.Arm64) ? 104 : -1;

    /// <summary><c>stat</c> of <paramref name="path"/>, or <c>fstat</c> of <paramref name="fd"/> when it is null; the identity and change time, or null when the call fails.</summary>
    private static (UInt128 Identity, long? Changed)? Call(string? path, int fd, bool legacy)
    {
        int version = LegacyVersion(legacy);
        if (version < -1) return null;
        Span<byte> stat = stackalloc byte[256];
        stat.Clear();
        ref byte s = ref MemoryMarshal.GetReference(stat);
        int result = path is null ? (legacy ? FStatOld(version, fd, ref s) : FStat(fd, ref s))
            : (legacy ? StatOld(version, path, ref s) : Stat(path, ref s));
        if (result != 0) return null;
        int at = ChangeOffset;
        long? changed = at < 0 ? null
            : MemoryMarshal.Read<long>(stat[at..]) * 1_000_000_000L + MemoryMarshal.Read<long>(stat[(at + 8)..]);
        return (MemoryMarshal.Read<UInt128>(stat), changed);
    }

    /// <summary>The layout version glibc's older calls take here (-1 when not <paramref name="legacy"/>; -2: none known).</summary>
    private static int LegacyVersion(bool legacy)
    {
        if (!legacy) return -1;
        if (!OperatingSystem.IsLinux()) return -2;
        return RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => 1,
            Architecture.Arm64 => 0,
            _ => -2,
        };
    }

    [LibraryImport("libc", EntryPoint = "fstat")]
    private static partial int FStat(int fd, ref byte stat);

    [LibraryImport("libc", EntryPoint = "stat", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Stat(string path, ref byte stat);

    [LibraryImport("libc", EntryPoint = "__fxstat")]
    private static partial int FStatOld(int version, int fd, ref byte stat);

    [LibraryImport("libc", EntryPoint = "__xstat", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int StatOld(int version, string path, ref byte stat);
}
