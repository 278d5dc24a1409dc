using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using Skald.Tensors.Memory;

namespace Skald.Tensors.Quantization;

/// <summary>
/// Whether this process may run Intel AMX tile instructions (<see cref="Int8TileAmx"/>), and the per-thread
/// preparation they need. Linux x86-64 only: the CPU must report AMX-TILE and AMX-INT8 (CPUID leaf 7, EDX bits 24
/// and 25; AMX-BF16 is bit 22), and the kernel must grant the process the tile-data state component (XFEATURE 18,
/// 8 KB a thread), which it keeps disabled until asked (<c>arch_prctl(ARCH_REQ_XCOMP_PERM, 18)</c> through
/// <c>syscall(SYS_arch_prctl = 158, …)</c>; Linux's Documentation/arch/x86/xstate.rst, torvalds/linux at
/// 7237cb3e1544718a972b732e66ebcf0f63b128a5). The request is made once, at the
/// first check; the environment variable SKALD_AMX=0 turns AMX off without asking. Any failure leaves
/// <see cref="Refusal"/> saying why, and the int8 GEMM on its AVX-512 VNNI tiles.
/// <para>
/// Signal stacks: once a thread has executed a tile instruction the kernel gives it an XSAVE buffer with room for
/// the 8 KB tile state, and every signal frame it builds for that thread reserves that room (the state itself is
/// written only while tiles are in use): frames of 11,952 bytes on the Sapphire Rapids host (AT_MINSIGSTKSZ). The
/// .NET runtime (10.0) takes hardware faults (SIGSEGV for a NullReferenceException, SIGFPE for a division by zero) on a
/// per-thread alternate stack of 16 KB whose lowest page is a guard, 12 KB usable (CoreCLR's
/// <c>CPalThread::EnsureSignalAlternateStack</c>, src/coreclr/pal/src/thread/thread.cpp, dotnet/runtime at
/// 610d49f845528fd28375613db765d3ae9e62063d: SIGSTKSZ plus its context plus the guard page): with such a frame
/// almost nothing is left for the handler, which runs into the guard page, and the process dies of SIGSEGV (bench/amx --stress
/// --keep-runtime-stack; its GC suspension signals alone, --no-exceptions, do no harm). The kernel's own check at the
/// grant (every alternate stack at least one frame) passes such a stack, since it counts the guard page.
/// <see cref="PrepareThread"/> therefore gives a thread, before its first tile instruction, an alternate stack of
/// one frame plus the runtime's own 16 KB of handler room above a guard page, unless the one it has is already that
/// large. The runtime's own stack is then no longer the thread's: at the thread's exit the runtime frees neither
/// (it frees only the one it installed, if still installed), so a thread that ran AMX and exits leaves about 48 KB
/// mapped — the engine's intra-op workers live as long as the process.
/// </para>
/// </summary>
internal static unsafe class AmxState
{
    private const long SysArchPrctl = 158, ArchGetXcompPerm = 0x1022, ArchReqXcompPerm = 0x1023;
    private const int XFeatureTileData = 18;
    private const nuint AtMinSigStkSz = 51;
    private const int SignalStackOnStack = 1, SignalStackDisable = 2;

    // The handler room the .NET runtime's alternate stack leaves besides a frame without AMX state: its 16 KB.
    private const int HandlerRoom = 16 * 1024;

    private static readonly string? refusal = Request(Environment.GetEnvironmentVariable("SKALD_AMX"));

    [ThreadStatic] private static int threadReady; // 0 not yet asked, 1 ready, -1 refused

    /// <summary>
    /// Whether a thread whose alternate signal stack is too small for a frame with AMX state gets a larger one
    /// (<see cref="PrepareThread"/>); true except in the probe (bench/amx), which turns it off to show the crash it prevents.
    /// </summary>
    internal static bool EnlargeSignalStacks { get; set; } = true;

    /// <summary>Why this process runs no AMX (one line), or null when it may (the CPU has AMX-INT8 and Linux granted the tile state).</summary>
    public static string? Refusal => refusal;

    /// <summary>Whether the CPU reports AMX-TILE and AMX-INT8 (CPUID leaf 7, EDX bits 24 and 25), whatever the OS allows.</summary>
    public static bool CpuHasAmx => X86Base.IsSupported && (X86Base.CpuId(7, 0).Edx & (3 << 24)) == 3 << 24;

    /// <summary>
    /// The int8 notice for a CPU with AMX (<paramref name="cpuHasAmx"/>) that the process does not run
    /// (<paramref name="running"/> false): why (<paramref name="refusal"/>), and what runs instead; null when there is
    /// nothing to say (no AMX on the CPU, AMX running, or SKALD_AMX=0 asked for it).
    /// </summary>
    internal static string? Notice(bool cpuHasAmx, string? refusal, bool running) =>
        !cpuHasAmx || running || refusal == "SKALD_AMX=0" ? null
        : $"int8: this CPU has AMX but it is not used ({refusal ?? "its code was not placed"}); multiplying with AVX512-VNNI";

    /// <summary>Whether the CPU has AMX-BF16 (CPUID leaf 7, EDX bit 22) besides what <see cref="Refusal"/> checks.</summary>
    public static bool HasBf16 => refusal == null && (X86Base.CpuId(7, 0).Edx & (1 << 22)) != 0;

    /// <summary>
    /// Readies the calling thread for tile instructions (once per thread; later calls read a thread-static): false
    /// when the process has no AMX or the thread cannot get a large enough alternate signal stack, and then the caller
    /// must not run any.
    /// </summary>
    public static bool PrepareThread()
    {
        if (threadReady != 0) return threadReady > 0;
        bool ready = refusal == null && (!EnlargeSignalStacks || EnsureSignalStack());
        threadReady = ready ? 1 : -1;
        return ready;
    }

    /// <summary>The size of a signal frame with AMX state (AT_MINSIGSTKSZ; from CPUID leaf 13's XSAVE size where the kernel gives none).</summary>
    internal static long FrameBytes()
    {
        long size = (long)Libc.GetAuxVal(AtMinSigStkSz);
        // The XSAVE area of every enabled state component, plus the frame's signal information and context.
        return size > 0 ? size : X86Base.CpuId(13, 0).Ecx + 2048;
    }

    /// <summary>Asks Linux for the tile state unless <paramref name="setting"/> (SKALD_AMX) is 0: why not, or null when granted.</summary>
    internal static string? Request(string? setting)
    {
        if (setting == "0") return "SKALD_AMX=0";
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64 || !X86Base.IsSupported)
            return "AMX tiles are used on Linux x86-64 only";
        if (!CpuHasAmx) return "this CPU has no AMX-INT8 tiles (cpuid leaf 7, edx bits 24 and 25)";
        try
        {
            if (Permitted()) return null;
            if (Libc.Syscall(SysArchPrctl, ArchReqXcompPerm, XFeatureTileData) != 0)
                return $"Linux refused the AMX tile state (arch_prctl ARCH_REQ_XCOMP_PERM: errno {Marshal.GetLastPInvokeError()})";
            return Permitted() ? null : "Linux granted the AMX tile state but does not report it (arch_prctl ARCH_GET_XCOMP_PERM)";
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return "no C library syscall to ask Linux for the AMX tile state";
        }
    }

    // ARCH_GET_XCOMP_PERM: the state components the process may use, bit 18 the tile data.
    private static bool Permitted()
    {
        ulong mask = 0;
        return Libc.Syscall(SysArchPrctl, ArchGetXcompPerm, (long)&mask) == 0 && (mask & (1UL << XFeatureTileData)) != 0;
    }

    // The thread's alternate stack as large as a frame with AMX state plus HandlerRoom above a guard page, or a new one.
    private static bool EnsureSignalStack()
    {
        try
        {
            Libc.SignalStack old;
            if (Libc.SigAltStack(null, &old) != 0 || (old.Flags & SignalStackOnStack) != 0) return false;
            long page = Environment.SystemPageSize, usable = FrameBytes() + HandlerRoom;
            if ((old.Flags & SignalStackDisable) == 0 && old.Size - page >= usable) return true;
            nint size = (nint)((usable + page - 1) / page * page + page);
            nint p = Libc.Mmap(0, size, Libc.ProtRead | Libc.ProtWrite, Libc.MapPrivate | Libc.MapAnonymous, -1, 0);
            if (p == 0 || p == Libc.MapFailed) return false;
            var stack = new Libc.SignalStack { Base = p, Size = size, Flags = 0 };
            if (Libc.Mprotect(p, (nint)page, Libc.ProtNone) == 0 && Libc.SigAltStack(&stack, null) == 0) return true;
            _ = Libc.Munmap(p, size);
            return false;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }
}
