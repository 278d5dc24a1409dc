using System.Runtime.InteropServices;

namespace Skald.Retrieval.Index;

/// <summary>
/// Which file a path or an open file is, as the kernel tells it (Unix <c>stat</c> and <c>fstat</c>): the first 16 bytes
/// of <c>struct stat</c>, which are <c>st_dev</c> and <c>st_ino</c>, 8 bytes each, on 64-bit Linux (glibc's x86-64 and
/// generic layouts, the latter arm64's, and musl's), and hold both on macOS too (with the mode and link count, the same
/// for the same file), so they are compared whole. glibc before 2.33 exports no <c>stat</c> or <c>fstat</c> (they were
/// inline calls of <c>__xstat</c> and <c>__fxstat</c>): there those are called, with the layout version of x86-64 (1)
/// or arm64 (0). Two identities are equal exactly when they name one file of one volume: a file removed and created
/// again, or another volume mounted at the path, is another file.
/// </summary>
internal static partial class FileIdentity
{
    /// <summary>
    /// The identity of the file or folder at <paramref name="path"/>; null when there is none, or when it cannot be
    /// told (Windows, no <c>stat</c> to call).
    /// </summary>
    public static UInt128? Of(string path)
    {
        if (OperatingSystem.IsWindows()) return null;
        try
        {
            return OfPath(path, legacy: false);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
        }
        try
        {
            return OfPath(path, legacy: true);
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
    public static UInt128? OfOpen(int fd, bool legacy) => Call(null, fd, legacy);

    /// <summary><see cref="OfOpen"/> for the file at <paramref name="path"/> (null: no file there).</summary>
    public static UInt128? OfPath(string path, bool legacy) => Call(path, -1, legacy);

    /// <summary><c>stat</c> of <paramref name="path"/>, or <c>fstat</c> of <paramref name="fd"/> when it is null; the identity, or null when the call fails.</summary>
    private static UInt128? Call(string? path, int fd, bool legacy)
    {
        int version = LegacyVersion(legacy);
        if (version < -1) return null;
        Span<byte> stat = stackalloc byte[256];
        stat.Clear();
        ref byte s = ref MemoryMarshal.GetReference(stat);
        int result = path is null ? (legacy ? FStatOld(version, fd, ref s) : FStat(fd, ref s))
            : (legacy ? StatOld(version, path, ref s) : Stat(path, ref s));
        return result == 0 ? MemoryMarshal.Read<UInt128>(stat) : null;
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
