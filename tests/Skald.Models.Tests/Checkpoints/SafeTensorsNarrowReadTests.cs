using System.Text;
using Skald.Models.Checkpoints;

namespace Skald.Models.Tests.Checkpoints;

/// <summary>
/// <see cref="SafeTensorsFile.ReadFloat16"/> and <see cref="SafeTensorsFile.ReadBFloat16"/> (one reader since the two
/// were merged) from every float dtype a checkpoint may hold, F64 included, against independent expectations: the value
/// the file stands for, rounded by .NET's <see cref="Half"/> cast (float16) or by round-to-nearest-even on the float32
/// bit pattern (bfloat16).
/// </summary>
public sealed class SafeTensorsNarrowReadTests
{
    private static readonly float[] Values = [1f, -2.5f, 3.1415927f, 1e-3f, 65504f, -0.0001f, 1.00390625f, 70000f];

    [Theory]
    [InlineData("F32", false)]
    [InlineData("F16", false)]
    [InlineData("BF16", false)]
    [InlineData("F64", false)]
    [InlineData("F32", true)]
    [InlineData("F16", true)]
    [InlineData("BF16", true)]
    [InlineData("F64", true)]
    public void EveryFloatDTypeIsRoundedToTheSixteenBitFormat(string dtype, bool bfloat16)
    {
        var (data, stored) = Encode(dtype);
        string path = WithTensor(dtype, data);
        using var f = SafeTensorsFile.Open(path);
        var destination = new ushort[Values.Length];
        if (bfloat16) f.ReadBFloat16(f.Tensors["x"], destination);
        else f.ReadFloat16(f.Tensors["x"], destination);
        for (int i = 0; i < Values.Length; i++)
        {
            ushort expected = bfloat16 ? BFloat16Bits(stored[i]) : BitConverter.HalfToUInt16Bits((Half)stored[i]);
            Assert.True(expected == destination[i], $"{dtype} → {(bfloat16 ? "bf16" : "f16")}: {stored[i]} read as 0x{destination[i]:X4}, expected 0x{expected:X4}");
        }
    }

    [Fact]
    public void AnIntegerTensorIsNamed()
    {
        string path = WithTensor("I32", new byte[4 * Values.Length]);
        using var f = SafeTensorsFile.Open(path);
        var e = Assert.Throws<ModelFormatException>(() => f.ReadBFloat16(f.Tensors["x"], new ushort[Values.Length]));
        Assert.Contains("tensor \"x\" has dtype I32", e.Message);
    }

    // The file's bytes for Values in dtype, and the float each stands for.
    private static (byte[] Data, float[] Stored) Encode(string dtype)
    {
        var data = new List<byte>();
        var stored = new float[Values.Length];
        for (int i = 0; i < Values.Length; i++)
        {
            float v = Values[i];
            switch (dtype)
            {
                case "F32":
                    data.AddRange(BitConverter.GetBytes(v));
                    stored[i] = v;
                    break;
                case "F64":
                    data.AddRange(BitConverter.GetBytes((double)v));
                    stored[i] = v;
                    break;
                case "F16":
                    data.AddRange(BitConverter.GetBytes((Half)v));
                    stored[i] = (float)(Half)v;
                    break;
                default:
                    ushort bits = BFloat16Bits(v);
                    data.AddRange(BitConverter.GetBytes(bits));
                    stored[i] = BitConverter.UInt32BitsToSingle((uint)bits << 16);
                    break;
            }
        }
        return ([.. data], stored);
    }

    private static ushort BFloat16Bits(float x)
    {
        uint bits = BitConverter.SingleToUInt32Bits(x);
        uint upper = bits >> 16, lower = bits & 0xFFFF;
        if (lower > 0x8000 || (lower == 0x8000 && (upper & 1) == 1)) upper++;
        return (ushort)upper;
    }

    private static string WithTensor(string dtype, byte[] data)
    {
        var header = Encoding.UTF8.GetBytes($"{{\"x\":{{\"dtype\":\"{dtype}\",\"shape\":[{Values.Length}],\"data_offsets\":[0,{data.Length}]}}}}");
        var bytes = new byte[8 + header.Length + data.Length];
        BitConverter.GetBytes((ulong)header.Length).CopyTo(bytes, 0);
        header.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + header.Length);
        string path = Path.Combine(TestPaths.NewTempDir(), "x.safetensors");
        File.WriteAllBytes(path, bytes);
        return path;
    }
}
