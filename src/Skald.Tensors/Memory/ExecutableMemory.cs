using System.Runtime.InteropServices;

namespace Skald.Tensors.Memory;

/// <summary>
/// Pages that hold machine code the process made itself (the kernels .NET has no intrinsic for, e.g. 512-bit
/// vpdpbusd: <see cref="Quantization.Int8TileVnni512"/>). The code is copied into pages mapped readable and writable,
/// which are then made readable and executable: never writable and executable at once. Linux and macOS map with
/// mmap/mprotect, Windows with VirtualAlloc/VirtualProtect. The pages live as long as the process.
/// </summary>
internal static partial class ExecutableMemory
{
    private const int ProtRead = 1, ProtWrite = 2, ProtExec = 4;
    private const int MapPrivate = 2;
    private const uint MemCommitReserve = 0x3000, PageReadWrite = 0x04, PageExecuteRead = 0x20;

    /// <summary>Copies <paramref name="code"/> into new executable pages: their address, or 0 where the OS refuses (or is not one of the three).</summary>
    public static unsafe nint Place(ReadOnlySpan<byte> code)
    {
        if (code.IsEmpty) return 0;
        nint size = (code.Length + 4095) / 4096 * 4096;
        try
        {
            if (OperatingSystem.IsWindows())
            {
                nint p = VirtualAlloc(0, size, MemCommitReserve, PageReadWrite);
                if (p == 0) return 0;
                code.CopyTo(new Span<byte>((void*)p, code.Length));
                return VirtualProtect(p, size, PageExecuteRead, out _) ? p : 0;
            }
            if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS())
            {
                int anonymous = OperatingSystem.IsLinux() ? 0x20 : 0x1000;
                nint p = Mmap(0, size, ProtRead | ProtWrite, MapPrivate | anonymous, -1, 0);
                if (p == 0 || p == -1) return 0;
                code.CopyTo(new Span<byte>((void*)p, code.Length));
                return Mprotect(p, size, ProtRead | ProtExec) == 0 ? p : 0;
            }
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // No libc or kernel32 under these names: the callers keep their managed kernels.
        }
        return 0;
    }

    [LibraryImport("libc", EntryPoint = "mmap")]
    private static partial nint Mmap(nint address, nint length, int protection, int flags, int fd, nint offset);

    [LibraryImport("libc", EntryPoint = "mprotect")]
    private static partial int Mprotect(nint address, nint length, int protection);

    [LibraryImport("kernel32", EntryPoint = "VirtualAlloc")]
    private static partial nint VirtualAlloc(nint address, nint size, uint type, uint protection);

    [LibraryImport("kernel32", EntryPoint = "VirtualProtect")]
    [return: MarshalAs(UnmanagedType.Bool)]
    private static partial bool VirtualProtect(nint address, nint size, uint protection, out uint old);
}
