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
                nint p = Libc.Mmap(0, size, Libc.ProtRead | Libc.ProtWrite, Libc.MapPrivate | Libc.MapAnonymous, -1, 0);
                if (p == 0 || p == Libc.MapFailed) return 0;
                code.CopyTo(new Span<byte>((void*)p, code.Length));
                return Libc.Mprotect(p, size, Libc.ProtRead | Libc.ProtExec) == 0 ? p : 0;
            }
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // No libc or kernel32 under these names: the callers keep their managed kernels.
        }
        return 0;
    }

    [LibraryImport("kernel32", EntryPoint = "VirtualAlloc")]
    private static partial nint VirtualAlloc(nint address, nint size, uint type, uint protection);

    [LibraryImport("kernel32", EntryPoint = "VirtualProtect")]
    [return: MarshalAs(UnmanagedType.Bool)]
    private static partial bool VirtualProtect(nint address, nint size, uint protection, out uint old);
}
