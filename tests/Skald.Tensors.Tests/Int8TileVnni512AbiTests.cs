using Iced.Intel;
using Skald.Tensors.Quantization;

namespace Skald.Tensors.Tests;

/// <summary>
/// The assembled 512-bit VNNI tile keeps to both x64 calling conventions, checked by decoding its bytes (so it holds on
/// any CPU, and for the Windows variant, which only a Windows host could run): it reads its one argument from rdi
/// (System V) or rcx (Windows), writes only registers both conventions let a callee clobber (rax, rcx, rdx, r8–r11;
/// zmm0–5 and zmm16–31) besides rbx and rsi, which it saves first and restores last, never touches rdi, rbp, r12–r15
/// or xmm6–15 (callee-saved on Windows), leaves the stack as it found it, and ends with vzeroupper and ret. The
/// three-panel code, whose 24 sums need zmm8–15 too, saves xmm8–15 on the stack first on Windows and restores them
/// last, and never touches zmm6–7, also in its variant that dequantises into y (as the one- and two-panel codes have one).
/// </summary>
public sealed class Int8TileVnni512AbiTests
{
    internal static List<Instruction> Decode(byte[] code)
    {
        var decoder = Decoder.Create(64, new ByteArrayCodeReader(code));
        var list = new List<Instruction>();
        while (decoder.IP < (ulong)code.Length)
        {
            var i = decoder.Decode();
            Assert.False(i.IsInvalid, $"invalid instruction at {decoder.IP}");
            list.Add(i);
        }
        return list;
    }

    private static IEnumerable<Register> RegistersOf(Instruction i)
    {
        for (int op = 0; op < i.OpCount; op++)
        {
            if (i.GetOpKind(op) == OpKind.Register) yield return i.GetOpRegister(op);
            if (i.GetOpKind(op) == OpKind.Memory)
            {
                if (i.MemoryBase != Register.None) yield return i.MemoryBase;
                if (i.MemoryIndex != Register.None) yield return i.MemoryIndex;
            }
        }
    }

    private static bool Allowed(Register r)
    {
        var full = r.GetFullRegister();
        if (full is Register.RAX or Register.RCX or Register.RDX or Register.R8 or Register.R9 or Register.R10
            or Register.R11 or Register.RBX or Register.RSI or Register.RSP)
            return true;
        if (full >= Register.ZMM0 && full <= Register.ZMM31)
        {
            int n = full - Register.ZMM0;
            return n <= 5 || n >= 16;
        }
        return false;
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(2, false)]
    [InlineData(1, true)]
    [InlineData(2, true)]
    public void TheTileKeepsToBothCallingConventions(int panels, bool windows)
    {
        var code = Decode(Int8TileVnni512.Assemble(panels, windows));
        Assert.Equal(windows ? Register.RCX : Register.RDI, code[2].Op1Register); // the argument block
        KeepsToTheConventions(code);
        // one per panel and k step, in the four-step loop and the one-step loop after it
        Assert.Equal(5 * panels, code.Count(i => i.Mnemonic == Mnemonic.Prefetcht0));
        Assert.Equal(5 * Rows(panels), code.Count(i => i.Mnemonic == Mnemonic.Vpdpbusd));
    }

    // The code every tile of a block taller than one tile row runs: the same loop without the prefetch of the panels ahead.
    [Theory]
    [InlineData(1, false)]
    [InlineData(2, false)]
    [InlineData(1, true)]
    [InlineData(2, true)]
    public void TheTileWithoutPrefetchKeepsToBothCallingConventionsAndPrefetchesNothing(int panels, bool windows)
    {
        var code = Decode(Int8TileVnni512.Assemble(panels, windows, prefetch: false));
        Assert.Equal(windows ? Register.RCX : Register.RDI, code[2].Op1Register);
        KeepsToTheConventions(code);
        Assert.Equal(0, code.Count(i => i.Mnemonic == Mnemonic.Prefetcht0));
        Assert.Equal(5 * Rows(panels), code.Count(i => i.Mnemonic == Mnemonic.Vpdpbusd));
    }

    // The 8 × 32 and 8 × 16 codes that dequantise into y in their epilogue (dequantize), with and without prefetch: the
    // same registers, their only stores to memory y's 8 rows of each panel in each of the two copies (with and without
    // the bias add), no int32 sums stored, and after each row but the last the count of rows left (rcx) down by one.
    [Theory]
    [InlineData(1, false, false)]
    [InlineData(2, false, false)]
    [InlineData(1, true, false)]
    [InlineData(2, true, false)]
    [InlineData(1, false, true)]
    [InlineData(2, false, true)]
    [InlineData(1, true, true)]
    [InlineData(2, true, true)]
    public void TheDequantisingTileKeepsToBothCallingConventions(int panels, bool prefetch, bool windows)
    {
        var code = Decode(Int8TileVnni512.Assemble(panels, windows, prefetch, dequantize: true));
        Assert.Equal(windows ? Register.RCX : Register.RDI, code[2].Op1Register);
        KeepsToTheConventions(code);
        Assert.Equal(0, code.Count(i => i.Mnemonic == Mnemonic.Vmovdqu32 && i.Op0Kind == OpKind.Memory));
        Assert.Equal(2 * Rows(panels), code.Count(i => i.Mnemonic == Mnemonic.Vmovups && i.Op0Kind == OpKind.Memory));
        Assert.Equal(2 * Rows(panels), code.Count(i => i.Mnemonic == Mnemonic.Vfnmadd231ps));
        Assert.Equal(2 * (Int8TileVnni512.Rows - 1), RowCountDowns(code));
        Assert.Equal(prefetch ? 5 * panels : 0, code.Count(i => i.Mnemonic == Mnemonic.Prefetcht0));
        Assert.Equal(5 * Rows(panels), code.Count(i => i.Mnemonic == Mnemonic.Vpdpbusd));
    }

    // Also the code that dequantises into y in its epilogue (dequantize): the same registers, its only stores to memory
    // the 24 rows of y in each of its two copies (with and without the bias add), no int32 sums stored.
    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void TheThreePanelTileKeepsToBothCallingConventions(bool windows, bool dequantize)
    {
        var code = Decode(Int8TileVnni512.Assemble(3, windows, prefetch: false, dequantize));
        Assert.Equal(dequantize ? 0 : 24, code.Count(i => i.Mnemonic == Mnemonic.Vmovdqu32 && i.Op0Kind == OpKind.Memory));
        Assert.Equal(dequantize ? 2 * 24 : 0, code.Count(i => i.Mnemonic == Mnemonic.Vmovups && i.Op0Kind == OpKind.Memory));
        Assert.Equal(dequantize ? 2 * 24 : 0, code.Count(i => i.Mnemonic == Mnemonic.Vfnmadd231ps));
        Assert.Equal(0, RowCountDowns(code)); // all 8 rows: no count
        Assert.Equal([Mnemonic.Push, Mnemonic.Push, Mnemonic.Mov], code[..3].Select(i => i.Mnemonic));
        Assert.Equal([Register.RBX, Register.RSI], code[..2].Select(i => i.Op0Register));
        Assert.Equal((Register.R11, windows ? Register.RCX : Register.RDI), (code[2].Op0Register, code[2].Op1Register));
        Assert.Equal([Mnemonic.Vzeroupper, Mnemonic.Pop, Mnemonic.Pop, Mnemonic.Ret], code[^4..].Select(i => i.Mnemonic));
        Assert.Equal([Register.RSI, Register.RBX], code[^3..^1].Select(i => i.Op0Register));
        int saves = windows ? 8 : 0, body0 = 3, body1 = code.Count - 4;
        if (windows)
        {
            // sub rsp, 128; xmm8-15 to [rsp + 16i] ... xmm8-15 back; add rsp, 128 (then vzeroupper, the pops, ret)
            Assert.Equal((Mnemonic.Sub, Register.RSP, 128UL), (code[3].Mnemonic, code[3].Op0Register, code[3].GetImmediate(1)));
            Assert.Equal((Mnemonic.Add, Register.RSP, 128UL), (code[^5].Mnemonic, code[^5].Op0Register, code[^5].GetImmediate(1)));
            for (int i = 0; i < saves; i++)
            {
                var store = code[4 + i];
                var load = code[code.Count - 5 - saves + i];
                Assert.Equal((Mnemonic.Vmovdqu, Register.RSP, 16UL * (ulong)i, Register.XMM8 + i),
                    (store.Mnemonic, store.MemoryBase, store.MemoryDisplacement64, store.Op1Register));
                Assert.Equal((Mnemonic.Vmovdqu, Register.XMM8 + i, Register.RSP, 16UL * (ulong)i),
                    (load.Mnemonic, load.Op0Register, load.MemoryBase, load.MemoryDisplacement64));
            }
            body0 = 4 + saves;
            body1 = code.Count - 5 - saves;
        }
        foreach (var i in code.Skip(body0).Take(body1 - body0))
        {
            Assert.False(i.Mnemonic is Mnemonic.Push or Mnemonic.Pop or Mnemonic.Call or Mnemonic.Ret, $"{i}: the stack moves");
            foreach (var r in RegistersOf(i))
            {
                // zmm8-15 are free on System V and saved above on Windows; zmm6-7 stay untouched on both.
                var full = r.GetFullRegister();
                bool zmm = full >= Register.ZMM0 && full <= Register.ZMM31;
                Assert.True(zmm ? full - Register.ZMM0 is not (6 or 7) : Allowed(r) && full != Register.RSP,
                    $"{i}: {r} is not the three-panel tile's to use");
            }
        }
        Assert.Equal(0, code.Count(i => i.Mnemonic == Mnemonic.Prefetcht0));
        Assert.Equal(5 * Int8TileVnni512.Rows * 3, code.Count(i => i.Mnemonic == Mnemonic.Vpdpbusd));
        Assert.Throws<ArgumentException>(() => Int8TileVnni512.Assemble(3, windows, prefetch: true));
    }

    /// <summary>
    /// The checks both assembled tiles (this and <see cref="Bf16TileDot512"/>) share: rbx and rsi saved first and
    /// restored last, the argument block moved to r11, only registers both conventions allow, no stack movement in
    /// between, vzeroupper before ret.
    /// </summary>
    internal static void KeepsToTheConventions(List<Instruction> code)
    {
        Assert.Equal([Mnemonic.Push, Mnemonic.Push, Mnemonic.Mov], code[..3].Select(i => i.Mnemonic));
        Assert.Equal([Register.RBX, Register.RSI], code[..2].Select(i => i.Op0Register));
        Assert.Equal(Register.R11, code[2].Op0Register);
        Assert.Equal([Mnemonic.Vzeroupper, Mnemonic.Pop, Mnemonic.Pop, Mnemonic.Ret], code[^4..].Select(i => i.Mnemonic));
        Assert.Equal([Register.RSI, Register.RBX], code[^3..^1].Select(i => i.Op0Register)); // restored in reverse order
        foreach (var i in code.Skip(3).Take(code.Count - 7))
        {
            Assert.False(i.Mnemonic is Mnemonic.Push or Mnemonic.Pop or Mnemonic.Call or Mnemonic.Ret, $"{i}: the stack moves");
            foreach (var r in RegistersOf(i)) Assert.True(Allowed(r), $"{i}: {r} is not the tile's to use under both conventions");
        }
    }

    // The dequantising epilogue's exits after a row (dec rcx, then jz out): the loops count their k steps in rbx.
    private static int RowCountDowns(List<Instruction> code) =>
        code.Count(i => i.Mnemonic == Mnemonic.Dec && i.Op0Register == Register.RCX);

    // One vpdpbusd per row and panel in the loop body.
    private static int Rows(int panels) => Int8TileVnni512.Rows * panels;
}
