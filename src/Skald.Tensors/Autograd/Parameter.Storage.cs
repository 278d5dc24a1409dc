namespace Skald.Tensors.Autograd;

public sealed partial class Parameter
{
    /// <summary>Values and the lazily allocated gradient shared by a parameter and its stacked views.</summary>
    private sealed class Storage
    {
        private float[]? gradient;
        private float[]? values;
        private ushort[]? bits;
        private Memory.FileValues? file;
        private IDisposable? copied; // the file the values were copied out of (Load), closed by CloseFile; its kept rows are not held

        public Storage(float[] values) => this.values = values;

        /// <summary>
        /// Values left in their file (<paramref name="file"/>), held as <paramref name="precision"/>: read so (widened
        /// exactly, or rounded to a narrower 16-bit format first) and copied into memory so when needed whole.
        /// </summary>
        public Storage(Memory.FileValues file, WeightPrecision precision)
        {
            this.file = file;
            Precision = precision;
        }

        public Storage(Quantization.Int8Matrix form)
        {
            Int8 = form;
            releasedCount = (long)form.N * form.K;
        }

        public Storage(ushort[] bits, WeightPrecision precision)
        {
            this.bits = bits;
            Precision = precision;
        }

        /// <summary>
        /// The float32 values, or null when held otherwise (16-bit, int8, packed). Values still in their file are copied into
        /// memory on the first get (what needs them all: training, <c>Data</c>, packing); <see cref="File"/> then
        /// becomes null.
        /// </summary>
        public float[]? Values => values ?? (HoldsFloat32 ? Load().Values : null);

        /// <summary>Whether the values are float32 (held in memory, or in their file and float32 once copied).</summary>
        public bool HoldsFloat32 => values is not null || (file is not null && Precision == WeightPrecision.Float32);

        /// <summary>The values still left in their file (read by rows without copying the rest), or null.</summary>
        public Memory.FileValues? File => Volatile.Read(ref file);

        /// <summary>Closes the file the values are read from, or were copied out of into memory (closing twice is fine).</summary>
        public void CloseFile()
        {
            Volatile.Read(ref file)?.Dispose();
            lock (this) copied?.Dispose();
        }

        private Storage Load()
        {
            lock (this)
            {
                if (file is { } m)
                {
                    if (Precision == WeightPrecision.Float32) Volatile.Write(ref values, m.ToSingle());
                    else Volatile.Write(ref bits, m.ToBits16(Precision));
                    copied = m.Reference;
                    Volatile.Write(ref file, null); // readers that took it finish their rows; CloseFile (or the GC) closes its handle
                }
            }
            return this;
        }

        /// <summary>The int8 form that replaced the float32 values (an int8-only weight), or null.</summary>
        public Quantization.Int8Matrix? Int8 { get; private set; }

        /// <summary>The packed form that replaced the float32 values (a packed-only weight), or null.</summary>
        public Gemm.PackedMatrix? PackedOnly { get; private set; }

        private long releasedCount; // the value count once the float32 values are dropped

        /// <summary>
        /// 16-bit values (bfloat16 or float16 as <see cref="Precision"/>), or null; copied into memory on the first get
        /// when still in their file.
        /// </summary>
        public ushort[]? Bf16 => bits ?? (Holds16 ? Load().bits : null);

        /// <summary>Whether the values are 16-bit (held in memory, or in their file).</summary>
        public bool Holds16 => bits is not null || (file is not null && Precision != WeightPrecision.Float32);

        public WeightPrecision Precision { get; }

        public long Count => values?.Length ?? bits?.Length ?? file?.Count ?? releasedCount;

        /// <summary>
        /// Drops the float32 values (and their gradient and packed copy, or the packed form of a packed-only weight) for
        /// <paramref name="form"/>.
        /// </summary>
        public void ReleaseToInt8(Quantization.Int8Matrix form)
        {
            releasedCount = Count;
            Int8 = form;
            PackedOnly = null;
            Packed = null;
            gradient = null;
            values = null;
            file = null;
        }

        /// <summary>Drops the float32 values and their gradient, keeping <paramref name="packed"/> (of the whole storage) only.</summary>
        public void ReleaseToPacked(Gemm.PackedMatrix packed)
        {
            releasedCount = Count;
            PackedOnly = packed;
            Packed = null;
            gradient = null;
            values = null;
            file = null;
        }

        /// <summary>The bfloat16 panels that replaced the values (a bf16-only weight), or null.</summary>
        public Quantization.Bf16Matrix? Bf16Only { get; private set; }

        /// <summary>Drops the values (float32 or 16-bit) and their gradient and packed copy, keeping <paramref name="form"/> only.</summary>
        public void ReleaseToBf16(Quantization.Bf16Matrix form)
        {
            releasedCount = Count;
            Bf16Only = form;
            Packed = null;
            gradient = null;
            values = null;
            bits = null;
            Interlocked.Exchange(ref file, null)?.Dispose(); // a Linear weight left in its file, read straight into the panels
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
