using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Iced.Intel;
using Skald.Tensors.Memory;
using Skald.Tensors.Quantization;

namespace Skald.Tensors.Tests;

/// <summary>
/// The AMX int8 tile (<see cref="Int8TileAmx"/>) and its GEMM path: bit for bit the scalar twin's sums for every tile
/// shape, through <see cref="Int8Gemm"/> at ragged edges; its instructions encoded as GNU as encodes them; its code
/// keeping to the System V convention; and a thread that ran it still taking hardware exceptions and GC suspensions
/// (<see cref="AmxState.PrepareThread"/>'s larger alternate signal stack). Skipped, with the reason, where the CPU or
/// the OS gives no AMX.
/// </summary>
public sealed class Int8TileAmxTests
{
    private const int Ldc = 136; // wider than a call's 128 sums at most: the columns past them must stay untouched
    private const int Panels = 2 * Int8TileAmx.MaxPairs, Wide = Panels * Int8Matrix.PanelWidth;

    // Random bytes for a (32 rows, each wider than the depth read) and eight panels; Int8TileScalar's 4 × 16 tiles as
    // the expected sums of every row and column (row r at r · Wide).
    private static unsafe (byte[] A, sbyte[] W, int Lda, long PanelBytes, int[] Twin) Data(Random rng, int chunks)
    {
        int k = chunks * Int8TileAmx.Depth, lda = k + 20, groups = k / Int8Matrix.GroupDepth;
        var a = new byte[2 * Int8TileAmx.Rows * lda];
        var w = new sbyte[Panels * k * Int8Matrix.PanelWidth];
        rng.NextBytes(a);
        rng.NextBytes(MemoryMarshal.AsBytes(w.AsSpan()));
        long panelBytes = (long)k * Int8Matrix.PanelWidth;
        var twin = new int[2 * Int8TileAmx.Rows * Wide];
        var t = new int[Int8Gemm.TileRows * Int8Matrix.PanelWidth];
        fixed (byte* pa = a)
        fixed (sbyte* pw = w)
        fixed (int* pt = t)
        {
            for (int p = 0; p < Panels; p++)
            for (int r0 = 0; r0 < 2 * Int8TileAmx.Rows; r0 += Int8Gemm.TileRows)
            {
                Int8TileScalar.Tile(pa + r0 * lda, lda, pw + p * panelBytes, groups, pt);
                for (int r = 0; r < Int8Gemm.TileRows; r++)
                for (int c = 0; c < Int8Matrix.PanelWidth; c++)
                    twin[(r0 + r) * Wide + p * Int8Matrix.PanelWidth + c] = t[r * Int8Matrix.PanelWidth + c];
            }
        }
        return (a, w, lda, panelBytes, twin);
    }

    [KernelFact(Int8Kernel.Amx)]
    public unsafe void AmxTileOfEveryShapeEqualsScalarTiles()
    {
        var rng = new Random(64);
        foreach (int chunks in new[] { 1, 2, 5, 13 })
        foreach (int rowTiles in new[] { 1, 2 })
        foreach (int panels in new[] { 1, 2, 3, 5, 8 }) // (pairs by the two-panel code in one call, an odd last one alone)
        {
            var (a, w, lda, panelBytes, twin) = Data(rng, chunks);
            var fast = new int[2 * Int8TileAmx.Rows * Ldc];
            fast.AsSpan().Fill(-7); // what the tile does not write keeps it
            fixed (byte* pa = a)
            fixed (sbyte* pw = w)
            fixed (int* pf = fast)
                Assert.True(Int8TileAmx.Tile(pa, lda, pw, panelBytes, rowTiles, panels, chunks, pf, Ldc));
            for (int r = 0; r < 2 * Int8TileAmx.Rows; r++)
            for (int c = 0; c < Ldc; c++)
            {
                bool written = r < rowTiles * Int8TileAmx.Rows && c < panels * Int8Matrix.PanelWidth;
                int expected = written ? twin[r * Wide + c] : -7;
                Assert.True(expected == fast[r * Ldc + c], $"{chunks} chunk(s), {rowTiles} row tile(s) × {panels} panel(s): row {r}, column {c}");
            }
        }
    }

    // Through Int8Gemm: M of 1–8 (a decoding step, which the VNNI kernel runs), M not a multiple of 16 or 32 (a last
    // call of 1–31 rows, one or two row tiles) nor of the 64-row block, N an odd number of panels and a part-filled last one, K a multiple of 64 (AMX) or not (the 512-bit
    // VNNI tiles run it); with and without bias; M = 600, enough row blocks that the work splits by rows and each call
    // runs a row's panels in pairs (a panel split hands a thread as few as one pair). Each equal to the scalar twin bit
    // for bit.
    [KernelFact(Int8Kernel.Amx)]
    public void AmxKernelEqualsScalarTwinAtTheEdges()
    {
        var rng = new Random(65);
        foreach (int m in new[] { 1, 5, 16, 17, 31, 32, 33, 64, 65, 100, 600 })
        foreach (int n in new[] { 16, 40, 48, 100 })
        foreach (int k in new[] { 64, 130, 192 })
        foreach (bool bias in new[] { true, false })
            Int8GemmTests.SameAsScalarAt(rng, Int8Kernel.Amx, m, k, n, bias);
    }

    // Each instruction the tile uses, as Iced encodes it, against the bytes GNU as 2.40 gives for the same line
    // (bench/amx/encodings.s; regenerate with bench/amx/encodings.sh): an assembler other than the one the code is made with.
    [Fact]
    public void TheTileInstructionsAreEncodedAsGnuAsEncodesThem()
    {
        static byte[] One(Action<Assembler> emit)
        {
            var c = new Assembler(64);
            emit(c);
            var s = new MemoryStream();
            c.Assemble(new StreamCodeWriter(s), 0);
            return s.ToArray();
        }
        static byte[] Hex(string h) => Convert.FromHexString(h.Replace(" ", ""));
        Assert.Equal(Hex("c4 a2 7b 4b 34 0a"), One(c => c.tileloadd(AssemblerRegisters.tmm6, AssemblerRegisters.__[AssemblerRegisters.rdx + AssemblerRegisters.r9])));
        Assert.Equal(Hex("c4 82 7b 4b 3c 0a"), One(c => c.tileloadd(AssemblerRegisters.tmm7, AssemblerRegisters.__[AssemblerRegisters.r10 + AssemblerRegisters.r9])));
        Assert.Equal(Hex("c4 a2 7b 4b 24 00"), One(c => c.tileloadd(AssemblerRegisters.tmm4, AssemblerRegisters.__[AssemblerRegisters.rax + AssemblerRegisters.r8])));
        Assert.Equal(Hex("c4 a2 7b 4b 2c 06"), One(c => c.tileloadd(AssemblerRegisters.tmm5, AssemblerRegisters.__[AssemblerRegisters.rsi + AssemblerRegisters.r8])));
        Assert.Equal(Hex("c4 e2 49 5e c4"), One(c => c.tdpbusd(AssemblerRegisters.tmm0, AssemblerRegisters.tmm4, AssemblerRegisters.tmm6)));
        Assert.Equal(Hex("c4 e2 41 5e cc"), One(c => c.tdpbusd(AssemblerRegisters.tmm1, AssemblerRegisters.tmm4, AssemblerRegisters.tmm7)));
        Assert.Equal(Hex("c4 e2 49 5e d5"), One(c => c.tdpbusd(AssemblerRegisters.tmm2, AssemblerRegisters.tmm5, AssemblerRegisters.tmm6)));
        Assert.Equal(Hex("c4 e2 41 5e dd"), One(c => c.tdpbusd(AssemblerRegisters.tmm3, AssemblerRegisters.tmm5, AssemblerRegisters.tmm7)));
        Assert.Equal(Hex("c4 e2 4a 5c c4"), One(c => c.tdpbf16ps(AssemblerRegisters.tmm0, AssemblerRegisters.tmm4, AssemblerRegisters.tmm6)));
        Assert.Equal(Hex("c4 e2 42 5c cc"), One(c => c.tdpbf16ps(AssemblerRegisters.tmm1, AssemblerRegisters.tmm4, AssemblerRegisters.tmm7)));
        Assert.Equal(Hex("c4 e2 4a 5c d5"), One(c => c.tdpbf16ps(AssemblerRegisters.tmm2, AssemblerRegisters.tmm5, AssemblerRegisters.tmm6)));
        Assert.Equal(Hex("c4 e2 42 5c dd"), One(c => c.tdpbf16ps(AssemblerRegisters.tmm3, AssemblerRegisters.tmm5, AssemblerRegisters.tmm7)));
        Assert.Equal(Hex("c4 a2 7a 4b 04 00"), One(c => c.tilestored(AssemblerRegisters.__[AssemblerRegisters.rax + AssemblerRegisters.r8], AssemblerRegisters.tmm0)));
        Assert.Equal(Hex("c4 a2 7a 4b 4c 00 40"), One(c => c.tilestored(AssemblerRegisters.__[AssemblerRegisters.rax + AssemblerRegisters.r8 + 64], AssemblerRegisters.tmm1)));
        Assert.Equal(Hex("c4 e2 7b 49 d8"), One(c => c.tilezero(AssemblerRegisters.tmm3)));
        Assert.Equal(Hex("c4 e2 78 49 c0"), One(c => c.tilerelease()));
    }

    // The code, decoded up to its ret (its tile configuration follows): the configuration loaded first, tiles released
    // last; only rdi read and rax, rcx, rdx, rsi, r8–r11 written (all volatile in System V; no push, no vector register);
    // the configuration palette 1 with eight 16 × 64-byte tiles; one tdpbusd per row tile and panel.
    // The bfloat16 code (Bf16TileAmx) is the same with tdpbf16ps for each tdpbusd.
    [Theory]
    [InlineData(1, 1, false)]
    [InlineData(1, 2, false)]
    [InlineData(2, 1, false)]
    [InlineData(2, 2, false)]
    [InlineData(1, 1, true)]
    [InlineData(2, 2, true)]
    public void TheTileKeepsToSystemVAndReleasesItsTiles(int rowTiles, int panels, bool bf16)
    {
        var bytes = Int8TileAmx.Assemble(rowTiles, panels, bf16);
        var decoder = Iced.Intel.Decoder.Create(64, new ByteArrayCodeReader(bytes));
        var code = new List<Instruction>();
        do code.Add(decoder.Decode());
        while (code[^1].Mnemonic != Mnemonic.Ret && !code[^1].IsInvalid);
        Assert.Equal(Mnemonic.Ldtilecfg, code[0].Mnemonic);
        Assert.Equal(Mnemonic.Tilerelease, code[^2].Mnemonic);
        Assert.Equal(Mnemonic.Ret, code[^1].Mnemonic);
        Assert.Equal(rowTiles * panels, code.Count(i => i.Mnemonic == (bf16 ? Mnemonic.Tdpbf16ps : Mnemonic.Tdpbusd)));
        Assert.Equal(0, code.Count(i => i.Mnemonic == (bf16 ? Mnemonic.Tdpbusd : Mnemonic.Tdpbf16ps)));
        var written = new[] { Register.RAX, Register.RCX, Register.RDX, Register.RSI, Register.R8, Register.R9, Register.R10, Register.R11 };
        foreach (var i in code)
        {
            for (int op = 0; op < i.OpCount; op++)
            {
                if (i.GetOpKind(op) != OpKind.Register) continue;
                var r = i.GetOpRegister(op);
                bool tile = r >= Register.TMM0 && r <= Register.TMM7;
                Assert.True(tile || written.Contains(r.GetFullRegister()), $"{i} touches {r}");
            }
            Assert.False(i.Mnemonic is Mnemonic.Push or Mnemonic.Pop or Mnemonic.Vzeroupper, $"{i}");
        }
        Assert.True(code[0].IsIPRelativeMemoryOperand);
        Assert.Equal(decoder.IP, code[0].IPRelativeMemoryAddress); // the configuration right after the ret
        var config = bytes.AsSpan((int)decoder.IP, 64).ToArray();
        Assert.Equal(1, config[0]);
        for (int t = 0; t < 8; t++)
        {
            Assert.Equal(64, BitConverter.ToUInt16(config, 16 + 2 * t));
            Assert.Equal(16, config[48 + t]);
        }
    }

    // A thread that has run a tile keeps AMX state in its signal frames; the .NET runtime's 16 KB alternate stack then
    // leaves its fault handler almost no room and the process dies at the first NullReferenceException (the probe,
    // bench/amx --stress with --keep-runtime-stack, shows it). On a fresh thread: after the tile its alternate stack
    // holds a frame plus 16 KB above the guard page; hardware faults become exceptions there while full collections
    // suspend it, and the sums stay right.
    [KernelFact(Int8Kernel.Amx)]
    public unsafe void AThreadThatRanTheTileStillTakesHardwareExceptionsAndCollections()
    {
        var (a, w, lda, panelBytes, twin) = Data(new Random(66), 12);
        Exception? failure = null;
        long stackSize = 0;
        int caught = 0;
        var worker = new Thread(() =>
        {
            try
            {
                var acc = new int[32 * 32];
                for (int round = 0; round < 200; round++)
                {
                    fixed (byte* pa = a)
                    fixed (sbyte* pw = w)
                    fixed (int* pc = acc)
                        Assert.True(Int8TileAmx.Tile(pa, lda, pw, panelBytes, 2, 2, 12, pc, 32));
                    for (int r = 0; r < 32; r++)
                        Assert.True(acc.AsSpan(r * 32, 32).SequenceEqual(twin.AsSpan(r * Wide, 32)), $"round {round}: the sums changed");
                    try { _ = Touch(null); } catch (NullReferenceException) { caught++; }
                    try { _ = Divide(round, 0); } catch (DivideByZeroException) { caught++; }
                }
                Libc.SignalStack s;
                Assert.Equal(0, Libc.SigAltStack(null, &s));
                stackSize = s.Size;
            }
            catch (Exception e)
            {
                failure = e;
            }
        });
        worker.Start();
        while (worker.IsAlive) GC.Collect(2, GCCollectionMode.Forced, blocking: true);
        worker.Join();
        Assert.Null(failure);
        Assert.Equal(400, caught);
        Assert.True(stackSize - Environment.SystemPageSize >= AmxState.FrameBytes() + 16 * 1024, $"alternate stack {stackSize} B");
    }

    [Fact]
    public void SkaldAmxZeroTurnsAmxOffWithoutAsking() => Assert.Equal("SKALD_AMX=0", AmxState.Request("0"));

    // The one --quantize int8 notice: only for a CPU with AMX that the process does not run, saying why; nothing when
    // AMX runs, the CPU has none, or SKALD_AMX=0 asked for that; and here, where the test runs, what the host's state says.
    [Fact]
    public void TheAmxNoticeSpeaksOnlyWhenTheCpuHasAmxThatIsNotUsed()
    {
        Assert.Equal("int8: this CPU has AMX but it is not used (Linux refused the AMX tile state (arch_prctl ARCH_REQ_XCOMP_PERM: errno 28)); multiplying with AVX512-VNNI",
            AmxState.Notice(true, "Linux refused the AMX tile state (arch_prctl ARCH_REQ_XCOMP_PERM: errno 28)", false));
        Assert.Null(AmxState.Notice(true, null, true));
        Assert.Null(AmxState.Notice(false, "this CPU has no AMX-INT8 tiles (cpuid leaf 7, edx bits 24 and 25)", false));
        Assert.Null(AmxState.Notice(true, "SKALD_AMX=0", false));
        bool running = Int8Gemm.IsSupported(Int8Kernel.Amx);
        Assert.Equal(running || !AmxState.CpuHasAmx || AmxState.Refusal == "SKALD_AMX=0", Int8Gemm.AmxNotice is null);
        if (running && Environment.GetEnvironmentVariable("SKALD_INT8_KERNEL") is null) Assert.Equal(Int8Kernel.Amx, Int8Gemm.Best); // the default wherever it runs
    }

    private sealed class Box
    {
        public int Value = 1;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int Touch(Box? b) => b!.Value;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int Divide(int x, int y) => x / y;
}
