using System.Runtime.InteropServices;

namespace Skald.Tensors.Memory;

/// <summary>
/// The C library calls the tensor engine makes on Linux and macOS: page mapping and protection
/// (<see cref="ExecutableMemory"/>, <see cref="Quantization.AmxState"/>), and, on Linux, the alternate signal stack,
/// the auxiliary vector and the raw system call through which a process asks for AMX tile state
/// (<see cref="Quantization.AmxState"/>). Each throws <see cref="DllNotFoundException"/> or
/// <see cref="EntryPointNotFoundException"/> where the library or symbol is missing; callers catch those and keep
/// their managed paths.
/// </summary>
internal static partial class Libc
{
    /// <summary>PROT_READ, PROT_WRITE, PROT_EXEC, PROT_NONE.</summary>
    public const int ProtRead = 1, ProtWrite = 2, ProtExec = 4, ProtNone = 0;

    /// <summary>MAP_PRIVATE.</summary>
    public const int MapPrivate = 2;

    /// <summary>MAP_ANONYMOUS of this OS (Linux 0x20, macOS 0x1000).</summary>
    public static int MapAnonymous => OperatingSystem.IsLinux() ? 0x20 : 0x1000;

    /// <summary>mmap's failure value.</summary>
    public const nint MapFailed = -1;

    /// <summary>A <c>stack_t</c> of Linux x86-64 (<c>sigaltstack</c>'s argument).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct SignalStack
    {
        /// <summary>The lowest address of the stack.</summary>
        public nint Base;

        /// <summary>SS_ONSTACK (1), SS_DISABLE (2), or 0.</summary>
        public int Flags;

        /// <summary>Bytes from <see cref="Base"/> the kernel may use for a signal frame and its handler.</summary>
        public nint Size;
    }

    /// <summary>mmap(2).</summary>
    [LibraryImport("libc", EntryPoint = "mmap")]
    public static partial nint Mmap(nint address, nint length, int protection, int flags, int fd, nint offset);

    /// <summary>mprotect(2).</summary>
    [LibraryImport("libc", EntryPoint = "mprotect")]
    public static partial int Mprotect(nint address, nint length, int protection);

    /// <summary>munmap(2).</summary>
    [LibraryImport("libc", EntryPoint = "munmap")]
    public static partial int Munmap(nint address, nint length);

    /// <summary>sigaltstack(2) of the calling thread (<paramref name="stack"/> null: query only).</summary>
    [LibraryImport("libc", EntryPoint = "sigaltstack", SetLastError = true)]
    public static unsafe partial int SigAltStack(SignalStack* stack, SignalStack* old);

    /// <summary>getauxval(3): an auxiliary vector entry, 0 when the kernel gave none.</summary>
    [LibraryImport("libc", EntryPoint = "getauxval")]
    public static partial nuint GetAuxVal(nuint type);

    /// <summary>
    /// syscall(2) with two integer arguments. The C function is variadic; on x86-64 glibc and musl implement it as a
    /// register shuffle that reads only the integer registers, so a fixed-signature import is sound there.
    /// </summary>
    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    public static partial long Syscall(long number, long a1, long a2);
}
