using System.Runtime.InteropServices;
using Iced.Intel;
using Skald.Tensors.Quantization;
using static Iced.Intel.AssemblerRegisters;

// Which summation order does this CPU's tdpbf16ps follow (`--bf16-twin`)? One instruction on a 16 × 16 float32 tile
// (random starting sums), a 16 × 32 bfloat16 A tile and a 16-pair × 16 B tile, values over a wide exponent range so
// orders give different roundings; the hardware's sums against candidate orders, each product exact in float32 and
// each add rounded to nearest even: (a) per pair, sum += even then odd; (b) per pair, odd then even (vdpbf16ps's);
// (c) the SDM's pseudo-code: two partial sums from zero over the instruction's 16 pairs (even k, odd k), their sum,
// then added to the tile; (d) per pair, even + odd rounded, then added.
internal static unsafe class Bf16TwinProbe
{
    public static void Run()
    {
        nint code = TileAssembler512.Place(Assemble);
        if (code == 0 || !AmxState.PrepareThread()) throw new InvalidOperationException("code not placed");
        var c = (float*)NativeMemory.AlignedAlloc(1024, 64);
        var a = (ushort*)NativeMemory.AlignedAlloc(1024, 64);
        var b = (ushort*)NativeMemory.AlignedAlloc(1024, 64);
        var args = (void**)NativeMemory.Alloc(3 * 8);
        args[0] = c; args[1] = a; args[2] = b;
        var rng = new Random(7);
        var matches = new long[4];
        long sums = 0;
        var start = new float[256];
        for (int trial = 0; trial < 2000; trial++)
        {
            int spread = trial % 4 == 0 ? 0 : 12;
            for (int i = 0; i < 512; i++) { a[i] = Bits(rng, spread); b[i] = Bits(rng, spread); }
            for (int i = 0; i < 256; i++) c[i] = start[i] = trial % 3 == 0 ? 0f : Kernels(rng, spread);
            ((delegate* unmanaged[SuppressGCTransition]<void**, void>)code)(args);
            for (int m = 0; m < 16; m++)
            for (int n = 0; n < 16; n++, sums++)
            {
                float hw = c[m * 16 + n];
                for (int model = 0; model < 4; model++)
                    if (BitConverter.SingleToInt32Bits(Model(model, start[m * 16 + n], a + m * 32, b, n)) == BitConverter.SingleToInt32Bits(hw)) matches[model]++;
            }
        }
        Console.WriteLine($"tdpbf16ps twin probe, {sums} sums: (a) per pair even then odd {matches[0]}, (b) odd then even {matches[1]}, (c) SDM two partial sums {matches[2]}, (d) pair sum then add {matches[3]}");
    }

    private static float Model(int model, float sum, ushort* a, ushort* b, int n)
    {
        float even = 0f, odd = 0f;
        for (int k = 0; k < 16; k++)
        {
            float e = F(F(a[2 * k]) * F(b[k * 32 + 2 * n])), o = F(F(a[2 * k + 1]) * F(b[k * 32 + 2 * n + 1]));
            switch (model)
            {
                case 0: sum = Z(Z(sum + e) + o); break;
                case 1: sum = Z(Z(sum + o) + e); break;
                case 2: even = Z(even + e); odd = Z(odd + o); break;
                default: sum = Z(sum + Z(e + o)); break;
            }
        }
        return model == 2 ? Z(sum + Z(even + odd)) : sum;
    }

    private static float F(ushort bits) => Z(Skald.Tensors.Kernels.Bf16.ToSingle(bits));

    private static float F(float v) => Z(v);

    private static float Z(float v) => float.IsSubnormal(v) ? (float.IsNegative(v) ? -0f : 0f) : v;

    private static ushort Bits(Random rng, int spread) =>
        (ushort)((rng.Next(2) << 15) | ((127 - spread / 2 + rng.Next(spread + 1)) << 7) | rng.Next(128));

    private static float Kernels(Random rng, int spread) => Skald.Tensors.Kernels.Bf16.ToSingle(Bits(rng, spread)) * (1f + (float)rng.NextDouble());

    private static byte[] Assemble()
    {
        var c = new Assembler(64);
        var config = c.CreateLabel();
        c.ldtilecfg(__[config]);
        c.mov(r9d, 64);
        c.mov(rax, __qword_ptr[rdi]);
        c.mov(rsi, __qword_ptr[rdi + 8]);
        c.mov(rdx, __qword_ptr[rdi + 16]);
        c.tileloadd(tmm0, __[rax + r9]);
        c.tileloadd(tmm1, __[rsi + r9]);
        c.tileloadd(tmm2, __[rdx + r9]);
        c.tdpbf16ps(tmm0, tmm1, tmm2);
        c.tilestored(__[rax + r9], tmm0);
        c.tilerelease();
        c.ret();
        return Int8TileAmx.Finish(c, config);
    }
}
