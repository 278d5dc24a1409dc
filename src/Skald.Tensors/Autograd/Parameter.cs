using System.Buffers;
using Skald.Tensors.Kernels;

namespace Skald.Tensors.Autograd;

/// <summary>
/// A trainable tensor: its values, its gradient (same length, accumulated by backward passes, allocated on first use so
/// that inference-only models hold no gradient memory) and the key it has in the saved checkpoint. Keys of the
/// transformer are the HF keys without prefix (<c>encoder.layer.0.attention.self.query.weight</c>); keys of later
/// modules are prefixed with the module folder (<c>2_Dense/linear.weight</c>).
/// <para>
/// Parameters made by <see cref="Stack"/> are views into one buffer: BERT's query, key and value weights stay three
/// named parameters (saved, decayed and targeted by name) while the forward pass multiplies by all three in one GEMM
/// through the stacked view.
/// </para>
/// <para>
/// A parameter may hold bfloat16 or float16 values instead (<see cref="Precision"/>, <see cref="Bits16"/>): half the
/// memory, widened to float32 by the ops that read it (the GEMM while packing, the gather per row). Such a parameter is
/// frozen: it has no gradient, <see cref="RequiresGrad"/> is false and cannot be set, and <see cref="Data"/> throws;
/// gradients still flow through it to its inputs (LoRA on a frozen 16-bit base).
/// </para>
/// <para>
/// A float32 [out, in] Linear weight may hold its int8 form only (<see cref="IsInt8Only"/>: an inference-only int8
/// model): <see cref="ReleaseFloat32"/> drops the float32 values for it, and a saved int8 model is loaded so
/// (<see cref="Parameter(string, Quantization.Int8Matrix, bool)"/>, <see cref="StackInt8"/>). Such a parameter still
/// reports <see cref="WeightPrecision.Float32"/> (what its values approximate) but is frozen like a 16-bit one, and
/// everything that needs the float32 values (<see cref="Data"/>, <see cref="Grad"/>, <see cref="Update{TState}"/>,
/// training, adapters merged, a float32 save) throws one message saying so: there is no silent re-materialisation.
/// </para>
/// <para>
/// A float32 [out, in] Linear weight may likewise hold only its GEMM-packed form (<see cref="IsPackedOnly"/>: packed-only
/// inference, <see cref="ReleaseToPacked"/>): the forward reads the packed panels, the same bits as the float32 values;
/// <see cref="Widen"/> reads the values back out of the panels (saving, int8 quantisation), and what would change or
/// train them refuses with one message.
/// </para>
/// </summary>
public sealed partial class Parameter
{
    private readonly Storage storage;
    private readonly int offset;
    private LoraAdapter? lora;
    private Parameter[] parts = [];

    /// <summary>Creates a parameter over <paramref name="data"/> (not copied).</summary>
    public Parameter(string name, float[] data, int[] shape, bool weightDecay)
        : this(name, new Storage(data), 0, shape, weightDecay)
    {
    }

    /// <summary>Creates a frozen parameter over bfloat16 <paramref name="data"/> (not copied).</summary>
    public Parameter(string name, ushort[] data, int[] shape, bool weightDecay)
        : this(name, new Storage(data, WeightPrecision.BFloat16), 0, shape, weightDecay)
    {
    }

    /// <summary>
    /// Creates a frozen parameter over 16-bit <paramref name="data"/> (not copied) of <paramref name="format"/>:
    /// <see cref="WeightPrecision.BFloat16"/> or <see cref="WeightPrecision.Float16"/>.
    /// </summary>
    public Parameter(string name, ushort[] data, WeightPrecision format, int[] shape, bool weightDecay)
        : this(name, new Storage(data, Narrow(format)), 0, shape, weightDecay)
    {
    }

    /// <summary>
    /// Creates a frozen [<paramref name="form"/>.N, <paramref name="form"/>.K] parameter that holds only the int8
    /// <paramref name="form"/> (no float32 values: an inference-only int8 weight, see <see cref="IsInt8Only"/>).
    /// </summary>
    public Parameter(string name, Quantization.Int8Matrix form, bool weightDecay)
        : this(name, new Storage(form ?? throw new ArgumentNullException(nameof(form))), 0, [form.N, form.K], weightDecay)
    {
    }

    /// <summary>
    /// Creates a parameter whose values stay in their file (<see cref="IsFileBacked"/>): an embedding table read by rows,
    /// so the process holds only the rows gathered. <paramref name="precision"/> is how the values are held:
    /// float32 (widened exactly from any stored format) or a 16-bit format (rounded to nearest even when stored in
    /// another), read so by rows and copied into memory so when something needs them all (training, <see cref="Data"/>,
    /// <see cref="Bits16"/>).
    /// </summary>
    public Parameter(string name, Memory.FileValues values, WeightPrecision precision, int[] shape, bool weightDecay)
        : this(name, new Storage(values ?? throw new ArgumentNullException(nameof(values)), precision), 0, shape, weightDecay)
    {
    }

    /// <summary>
    /// Whether the values are still in their file (an embedding table loaded by <c>ParameterBuilder.Table</c>):
    /// <see cref="Widen"/> (the gather, saving) reads them there, keeping each row read by a gather (<see cref="Memory.FileValues"/>);
    /// whatever needs all of them as an array (<see cref="Data"/>, <see cref="Grad"/>,
    /// <see cref="Bits16"/>, <see cref="Update{TState}"/>, packing for a Linear) copies them into memory once, after which
    /// this is false.
    /// </summary>
    public bool IsFileBacked => storage.File is not null;

    private static WeightPrecision Narrow(WeightPrecision format) => format == WeightPrecision.Float32
        ? throw new ArgumentException("16-bit values need BFloat16 or Float16", nameof(format))
        : format;

    private Parameter(string name, Storage storage, int offset, int[] shape, bool weightDecay)
    {
        long count = shape.Aggregate(1L, (a, d) => a * d);
        if (count < 0 || offset + count > storage.Count)
            throw new ArgumentException($"{name}: shape [{string.Join(", ", shape)}] holds {count} values, the storage has {storage.Count - offset}");
        Name = name;
        this.storage = storage;
        this.offset = offset;
        Shape = shape;
        Length = (int)count;
        WeightDecay = weightDecay;
        requiresGrad = storage.HoldsFloat32;
    }

    /// <summary>Checkpoint key.</summary>
    public string Name { get; }

    /// <summary>Dimensions.</summary>
    public int[] Shape { get; }

    /// <summary>Number of values.</summary>
    public int Length { get; }

    /// <summary>How the values are held: float32, or bfloat16 / float16 (frozen).</summary>
    public WeightPrecision Precision => storage.Precision;

    /// <summary>
    /// Bytes the values take (4 or 2 a value; gradients not counted); for an int8-only weight its int8 form
    /// (1 a value plus 8 a row for the scale and row sum, padding not counted), for a bf16-only one 2 a value, for a
    /// packed-only one held as its three bfloat16 pieces (<see cref="Gemm.ManagedGemm.PackForLinear"/>) 6 a value, as the
    /// two a model at "high" precision reads 4, as its first piece alone (every value a bfloat16,
    /// <see cref="Quantization.SixTermMatrix.Bf16Exact"/>) 2.
    /// </summary>
    public long Bytes => storage.Int8 is not null
        ? Length + 8L * (Shape.Length == 0 ? 1 : Shape[0])
        : storage.PackedOnly is { HasPanels: false } pieces ? 2L * pieces.SixTerm.PieceCount * Length
        : Length * (Precision == WeightPrecision.Float32 && storage.Bf16Only is null ? 4L : 2L);

    /// <summary>Whether AdamW applies weight decay (false for biases and LayerNorm weights, as HF Trainer).</summary>
    public bool WeightDecay { get; }

    /// <summary>
    /// This parameter's learning rate as a multiple of the scheduled one (1 unless a training config's
    /// learning_rate_mapping gives it another rate: mapped rate / base rate, so it follows the same schedule).
    /// </summary>
    public float LearningRateScale { get; set; } = 1f;

    /// <summary>
    /// Whether backward passes compute this parameter's gradient (PyTorch's <c>requires_grad</c>). False freezes it:
    /// the GEMM for its gradient is skipped and no gradient memory is allocated for it (LoRA trains only adapters). The
    /// stacked whole of <see cref="Stack"/> requires a gradient while any of its parts does. Always false for 16-bit
    /// parameters (setting it true throws).
    /// </summary>
    public bool RequiresGrad
    {
        get
        {
            if (parts.Length == 0) return requiresGrad;
            foreach (var p in parts)
            {
                if (p.requiresGrad) return true;
            }
            return false;
        }
        set
        {
            if (value) EnsureTrainable();
            requiresGrad = value;
            foreach (var p in parts) p.requiresGrad = value;
        }
    }

    private bool requiresGrad;

    /// <summary>
    /// A [rows, dim] lookup table read by row (<c>Ops.Gather</c>, <c>Ops.Embeddings</c>): a vocabulary, position or type
    /// table. A LoRA adapter on it is peft's Embedding LoRA (<see cref="LoraAdapter.ForTable"/>).
    /// </summary>
    public bool IsTable { get; set; }

    /// <summary>
    /// Held [out, in] (what <c>Ops.Linear</c> multiplies by) but stored in its checkpoint as [in, out]: transformers'
    /// Conv1D (GPT-2's <c>c_attn</c>, <c>c_proj</c>, <c>c_fc</c>). Read transposed on load; writers of the checkpoint
    /// layout transpose it back.
    /// </summary>
    public bool StoredTransposed { get; set; }

    /// <summary>
    /// A low-rank adapter added to this weight's linear map (peft's LoRA): <c>Ops.Linear</c> computes
    /// y = x·Wᵀ + b + scale·(dropout(x)·Aᵀ)·Bᵀ. Null: the plain weight. Only [out, in] weights take one (not the
    /// whole of a stack, but each part: the stacked GEMM then adds each part's update to its rows).
    /// </summary>
    public LoraAdapter? Lora
    {
        get => lora;
        set
        {
            if (value is not null)
            {
                if (Shape.Length != 2) throw new ArgumentException($"{Name}: LoRA needs a [out, in] weight");
                if (value.Embedding != IsTable)
                    throw new ArgumentException($"{Name}: {(IsTable ? "a table takes an Embedding LoRA adapter (LoraAdapter.ForTable)" : "an Embedding LoRA adapter goes on a table")}");
                if (value.Embedding ? value.A.Shape[1] != Shape[0] || value.B.Shape[0] != Shape[1] : value.A.Shape[1] != Shape[1] || value.B.Shape[0] != Shape[0])
                    throw new ArgumentException(
                        $"{Name}: adapter A [{string.Join(", ", value.A.Shape)}] / B [{string.Join(", ", value.B.Shape)}] does not fit the weight [{Shape[0]}, {Shape[1]}]");
            }
            lora = value;
        }
    }

    /// <summary>The parts of a stacked whole (<see cref="Stack"/>), in row order; empty for other parameters.</summary>
    public IReadOnlyList<Parameter> Parts => parts;

    /// <summary>The first row of this part within its stacked whole (0 for other parameters).</summary>
    public int RowOffset => Shape.Length == 0 || Length == 0 ? 0 : offset / (Length / Shape[0]);

    /// <summary>Values (row-major); throws for a bfloat16 parameter (use <see cref="BFloat16Data"/>).</summary>
    /// <remarks>Getting it drops the packed copy (<see cref="PackedForLinear(bool, bool)"/>): the caller may write through it.</remarks>
    public Memory<float> Data
    {
        get
        {
            if (storage.Values is not { } v) throw new InvalidOperationException(InferenceOnlyMessage());
            storage.Packed = null;
            return v.AsMemory(offset, Length);
        }
    }

    /// <summary>The bfloat16 values (row-major) of a <see cref="WeightPrecision.BFloat16"/> parameter; throws otherwise.</summary>
    public Memory<ushort> BFloat16Data => storage.Bf16 is { } v && storage.Precision == WeightPrecision.BFloat16
        ? v.AsMemory(offset, Length)
        : throw new InvalidOperationException($"{Name} holds {storage.Precision} values (use {(storage.Holds16 ? "Bits16" : "Data")})");

    /// <summary>The 16-bit values (row-major; bfloat16 or float16 as <see cref="Precision"/>); throws for float32.</summary>
    public Memory<ushort> Bits16 => storage.Bf16 is { } v
        ? v.AsMemory(offset, Length)
        : throw new InvalidOperationException($"{Name} holds float32 values (use Data)");

    /// <summary>Values [<paramref name="start"/>, start + destination.Length) as float32, whatever the precision (an
    /// int8-only weight dequantised, whole rows only).</summary>
    public void Widen(int start, Span<float> destination)
    {
        if (storage.Int8 is { } form)
        {
            int k = Shape.Length == 2 ? Shape[1] : 0;
            if (k == 0 || start < 0 || start % k != 0 || destination.Length % k != 0 || start + (long)destination.Length > Length)
                throw new ArgumentOutOfRangeException(nameof(start), $"{Name}: an int8 weight widens whole rows only");
            form.DequantizeRows(RowOffset + start / k, destination.Length / k, destination);
        }
        else if (storage.Bf16Only is { } panels) WidenBf16Only(panels, start, destination);
        else if (storage.File is { } file)
        {
            if (start < 0 || start + (long)destination.Length > Length) throw new ArgumentOutOfRangeException(nameof(start));
            file.Widen(offset + (long)start, destination, storage.Precision);
        }
        else if (storage.Bf16 is { } bits) Kernels.F16.ToSingle(storage.Precision, bits.AsSpan(offset + start, destination.Length), destination);
        else if (storage.PackedOnly is { } packed)
        {
            if (start < 0 || start + (long)destination.Length > Length) throw new ArgumentOutOfRangeException(nameof(start));
            Gemm.PackedUnpack.CopyRowMajor(packed, offset + (long)start, destination);
        }
        else Values.Span.Slice(start, destination.Length).CopyTo(destination);
    }

    /// <summary>Accumulated gradient (allocated zeroed on first access); throws for a bfloat16 parameter.</summary>
    /// <remarks>Getting it drops the packed copy (<see cref="PackedForLinear(bool, bool)"/>): an optimizer step reads it first.</remarks>
    public Memory<float> Grad
    {
        get
        {
            if (!storage.HoldsFloat32) throw new InvalidOperationException(InferenceOnlyMessage());
            storage.Packed = null;
            return storage.Gradient.AsMemory(offset, Length);
        }
    }

    /// <summary>The float32 values for reading (does not drop the packed copy, unlike <see cref="Data"/>).</summary>
    internal ReadOnlyMemory<float> Values => storage.Values is { } v
        ? v.AsMemory(offset, Length)
        : throw new InvalidOperationException(InferenceOnlyMessage());

    /// <summary>
    /// This [out, in] float32 weight packed as the B operand of x·Wᵀ for the GEMM backend (<see cref="Gemm.Blas.Pack"/>),
    /// made on the first call and reused until the values may change: getting <see cref="Data"/> or <see cref="Grad"/>
    /// (of this parameter or of any view of its storage) or <see cref="Update{TState}"/> drops it, so later calls pack
    /// the new values. Null for bfloat16 or non-2-D parameters, or when the backend takes no packed operand. Costs one
    /// float32 copy of the weight while kept (where the AMX six-term product runs, its three bfloat16 pieces instead, or
    /// its first piece alone when every value is a bfloat16: <see cref="Gemm.ManagedGemm.PackForLinear"/>; the pieces are
    /// held, or split from the panels per product, as <paramref name="holdPieces"/> asks when this call packs; held for a
    /// model at "high" precision, <paramref name="high"/>, as the two pieces it reads, and packed again from the values
    /// when a call at the other precision finds held pieces made for this one).
    /// </summary>
    internal Gemm.PackedMatrix? PackedForLinear(bool holdPieces, bool high = false)
    {
        if (storage.PackedOnly is { } only) return PackedOnlyForLinear(only, holdPieces, high);
        if (storage.Values is not { } v || Shape.Length != 2) return null;
        if (storage.Packed is { } kept && kept.Offset == offset && kept.Matrix.N == Shape[0] && kept.Matrix.K == Shape[1]
            && Gemm.Blas.Backend is Gemm.ManagedGemm managed && managed.Accepts(kept.Matrix) && Serves(kept.Matrix, high))
            return kept.Matrix;
        var packed = Gemm.Blas.Backend is Gemm.ManagedGemm gemm ? gemm.PackForLinear(v.AsSpan(offset, Length), Shape[0], Shape[1], holdPieces, high) : null;
        storage.Packed = packed is null ? null : new PackedView(offset, packed);
        return packed;
    }

    /// <summary>Throws the one message for training through a 16-bit or int8-only parameter; returns for float32.</summary>
    public void EnsureTrainable()
    {
        if (!storage.HoldsFloat32) throw new InvalidOperationException(InferenceOnlyMessage());
    }

    /// <summary>
    /// Runs <paramref name="change"/> over the values as float32: in place for float32; for 16-bit widened into a
    /// temporary, changed, then rounded back to nearest (how merging an adapter into 16-bit weights works).
    /// </summary>
    public void Update<TState>(TState state, SpanAction<float, TState> change)
    {
        ArgumentNullException.ThrowIfNull(change);
        storage.Packed = null;
        if (!storage.Holds16)
        {
            change(Data.Span, state);
            return;
        }
        var values = Bits16.Span;
        var wide = new float[Length];
        Kernels.F16.ToSingle(storage.Precision, values, wide);
        change(wide, state);
        Kernels.F16.FromSingle(storage.Precision, wide, values);
    }

    private string InferenceOnlyMessage() => storage.PackedOnly is not null ? PackedOnlyMessage()
        : storage.Bf16Only is not null
        ? $"{Name} holds bfloat16 GEMM panels only (an inference-only bfloat16 model: KeepBf16Only, --quantize bf16); " +
          "training, merging adapters and saving need the values: load the model again without it"
        : storage.Int8 is not null
        ? $"{Name} holds int8 weights only (an inference-only int8 model: SentenceEncoder.KeepInt8Only, --quantize int8, or " +
          "a folder saved by `skald quantize`); training the weights, merging adapters and saving float32 weights need the " +
          "float32 values: load the model again without int8 (LoRA adapters do train on it: model.weights: int8)"
        : $"{Name} holds {(storage.Precision == WeightPrecision.Float16 ? "float16" : "bfloat16")} weights, which are frozen (the model " +
        $"was loaded with WeightPrecision.{storage.Precision}); training them needs float32 weights: load the model with " +
        "WeightPrecision.Float32 (the default), or train LoRA adapters on the frozen 16-bit base";

    /// <summary>
    /// Parameters stacked along their first axis in one buffer: part i is a view of rows [Σ₍ⱼ₍ᵢ₎ rowsⱼ, …) of
    /// <c>Whole</c>. Every part has the same trailing dimensions. Values start at zero.
    /// </summary>
    /// <param name="wholeName">Name of the stacked view (not a checkpoint key; the parts are).</param>
    /// <param name="parts">Name and shape of each part.</param>
    /// <param name="weightDecay">Weight-decay flag of all of them.</param>
    /// <param name="precision">How the values are held (bfloat16 / float16: frozen).</param>
    public static (Parameter Whole, Parameter[] Parts) Stack(string wholeName, IReadOnlyList<(string Name, int[] Shape)> parts,
        bool weightDecay, WeightPrecision precision = WeightPrecision.Float32)
    {
        int[] wholeShape = StackedShape(parts);
        long total = wholeShape.Aggregate(1L, (a, d) => a * d);
        var storage = precision == WeightPrecision.Float32 ? new Storage(new float[total]) : new Storage(new ushort[total], precision);
        return Stacked(wholeName, parts, weightDecay, storage, wholeShape);
    }

    // The shape of parts stacked along their first axis (each part's trailing dimensions the same).
    private static int[] StackedShape(IReadOnlyList<(string Name, int[] Shape)> parts)
    {
        if (parts.Count == 0) throw new ArgumentException("nothing to stack", nameof(parts));
        int[] tail = parts[0].Shape[1..];
        int rows = 0;
        foreach (var (name, shape) in parts)
        {
            if (!shape.AsSpan(1).SequenceEqual(tail)) throw new ArgumentException($"{name}: trailing dimensions differ from {parts[0].Name}'s");
            rows += shape[0];
        }
        return [rows, .. tail];
    }

    // The stacked whole over storage and its parts, views of consecutive rows.
    private static (Parameter Whole, Parameter[] Parts) Stacked(string wholeName, IReadOnlyList<(string Name, int[] Shape)> parts,
        bool weightDecay, Storage storage, int[] wholeShape)
    {
        var views = new Parameter[parts.Count];
        int at = 0;
        for (int i = 0; i < parts.Count; i++)
        {
            views[i] = new Parameter(parts[i].Name, storage, at, parts[i].Shape, weightDecay);
            at += views[i].Length;
        }
        return (new Parameter(wholeName, storage, 0, wholeShape, weightDecay) { parts = views }, views);
    }

    /// <summary>A packed copy of the view starting at <paramref name="Offset"/> of the storage.</summary>
    private sealed record PackedView(int Offset, Gemm.PackedMatrix Matrix);
}
