namespace Skald.Tensors.Autograd;

public sealed partial class Parameter
{
    /// <summary>Values and the lazily allocated gradient shared by a parameter and its stacked views.</summary>
    private sealed class Storage
    {
        private float[]? gradient;

        public Storage(float[] values) => Values = values;

        public Storage(Quantization.Int8Matrix form)
        {
            Int8 = form;
            releasedCount = (long)form.N * form.K;
        }

        public Storage(ushort[] bits, WeightPrecision precision)
        {
            Bf16 = bits;
            Precision = precision;
        }

        public float[]? Values { get; private set; }

        /// <summary>The int8 form that replaced the float32 values (an int8-only weight), or null.</summary>
        public Quantization.Int8Matrix? Int8 { get; private set; }

        /// <summary>The packed form that replaced the float32 values (a packed-only weight), or null.</summary>
        public Gemm.PackedMatrix? PackedOnly { get; private set; }

        private long releasedCount; // the value count once the float32 values are dropped

        /// <summary>16-bit values (bfloat16 or float16 as <see cref="Precision"/>), or null.</summary>
        public ushort[]? Bf16 { get; }

        public WeightPrecision Precision { get; }

        public long Count => Values?.Length ?? Bf16?.Length ?? releasedCount;

        /// <summary>
        /// Drops the float32 values (and their gradient and packed copy, or the packed form of a packed-only weight) for
        /// <paramref name="form"/>.
        /// </summary>
        public void ReleaseToInt8(Quantization.Int8Matrix form)
        {
            releasedCount = Values?.Length ?? releasedCount;
            Int8 = form;
            PackedOnly = null;
            Packed = null;
            gradient = null;
            Values = null;
        }

        /// <summary>Drops the float32 values and their gradient, keeping <paramref name="packed"/> (of the whole storage) only.</summary>
        public void ReleaseToPacked(Gemm.PackedMatrix packed)
        {
            releasedCount = Values!.Length;
            PackedOnly = packed;
            Packed = null;
            gradient = null;
            Values = null;
        }

        /// <summary>Replaces a packed-only weight's packed form (re-packed for another kernel from its own values).</summary>
        public void Repack(Gemm.PackedMatrix packed) => PackedOnly = packed;

        public float[] Gradient => gradient ??= new float[Values!.Length];

        /// <summary>The packed copy of one view, or null.</summary>
        public PackedView? Packed
        {
            get => Volatile.Read(ref packed);
            set => Volatile.Write(ref packed, value);
        }

        private PackedView? packed;
    }
}
