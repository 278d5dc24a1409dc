using Skald.Tensors;
using Skald.Tensors.Autograd;
using Skald.Tensors.Kernels;

namespace Skald.Models.Checkpoints;

/// <summary>Fills a new parameter's values (random initialisation); <paramref name="key"/> is its checkpoint key.</summary>
public delegate void ParameterInitializer(string key, Span<float> values);

/// <summary>
/// Makes a model's <see cref="Parameter"/>s by checkpoint key path, like candle's <c>VarBuilder</c>:
/// <c>p.Sub("encoder").Sub("layer", 3).Sub("attention.self").Tensor("query.weight", c, c)</c> names the key
/// <c>encoder.layer.3.attention.self.query.weight</c>, so the nesting of an architecture's code is the nesting of its
/// checkpoint. The values come from a checkpoint (<see cref="FromCheckpoint"/>) or from an initializer
/// (<see cref="FromInitializer"/>, random init of a new model); either way every parameter is recorded in
/// <see cref="Parameters"/> under its key, which is what saving, the optimizer and adapters use. With
/// <see cref="WeightPrecision.BFloat16"/> every 2-D tensor (the weights of linear layers, embedding tables) is made a
/// bfloat16 parameter, read as such (rounded to nearest even when stored wider); 1-D tensors (norms, biases) stay float32.
/// With <c>keepInt8</c> (<see cref="FromCheckpoint"/>), a tensor stored as int8 with a per-row scale (a saved int8
/// model's Linear weight; a stack when all its parts are) becomes an int8-only parameter
/// (<see cref="Parameter.IsInt8Only"/>): its float32 values are never made.
/// </summary>
public sealed class ParameterBuilder
{
    private readonly Source source;
    private readonly string path;

    private ParameterBuilder(Source source, string path)
    {
        this.source = source;
        this.path = path;
    }

    /// <summary>
    /// Parameters read from <paramref name="weights"/>; each is named <paramref name="namePrefix"/> + key; 2-D ones held
    /// as <paramref name="precision"/>.
    /// </summary>
    /// <param name="weights">The checkpoint.</param>
    /// <param name="namePrefix">Prefix of every parameter's name.</param>
    /// <param name="precision">How 2-D float tensors are held.</param>
    /// <param name="keepInt8">Whether int8 tensors (with a per-row scale) stay int8 (int8-only parameters) instead of
    /// being dequantised to float32.</param>
    /// <param name="leaveMatricesInFile">Whether float32 2-D tensors stored as F32, BF16 or F16 (<see cref="Tensor"/>,
    /// <see cref="Stack"/>) stay in their file until first used (<see cref="Parameter.IsFileBacked"/>): read whole into
    /// memory then, the same values as reading them now, or straight into a weight's packed, int8 or bfloat16 form by an
    /// inference-only model, so loading never holds all the float32 weights beside those forms.</param>
    public static ParameterBuilder FromCheckpoint(Checkpoint weights, string namePrefix = "",
        WeightPrecision precision = WeightPrecision.Float32, bool keepInt8 = false, bool leaveMatricesInFile = false) =>
        new(new Source(weights, null, namePrefix, precision) { KeepInt8 = keepInt8, LeaveMatricesInFile = leaveMatricesInFile }, "");

    /// <summary>New parameters filled by <paramref name="initializer"/>; 2-D ones held as <paramref name="precision"/>.</summary>
    public static ParameterBuilder FromInitializer(ParameterInitializer initializer, string namePrefix = "",
        WeightPrecision precision = WeightPrecision.Float32) =>
        new(new Source(null, initializer, namePrefix, precision), "");

    /// <summary>How 2-D parameters are held.</summary>
    public WeightPrecision Precision => source.Precision;

    /// <summary>Every parameter made so far through this builder or its sub-paths, in creation order.</summary>
    public IReadOnlyList<Parameter> Parameters => source.All;

    /// <summary>The builder for the sub-path <paramref name="name"/> (dots allowed: "attention.self").</summary>
    public ParameterBuilder Sub(string name) => new(source, Key(name));

    /// <summary>The builder for an indexed child (<c>layer.3</c>).</summary>
    public ParameterBuilder Sub(string name, int index) => Sub($"{name}.{index}");

    /// <summary>The full key of <paramref name="leaf"/> under this path.</summary>
    public string Key(string leaf) => path.Length == 0 ? leaf : path + "." + leaf;

    /// <summary>Whether the values come from a checkpoint (false: from an initializer, a new model).</summary>
    public bool HasCheckpoint => source.Weights is not null;

    /// <summary>Whether the checkpoint holds <paramref name="leaf"/> (always false when initializing).</summary>
    public bool Contains(string leaf) => source.Weights?.Contains(Key(leaf)) == true;

    /// <summary>The tensor <paramref name="leaf"/> of shape <paramref name="shape"/>.</summary>
    public Parameter Tensor(string leaf, params int[] shape)
    {
        string key = Key(leaf);
        long count = shape.Aggregate(1L, (a, d) => a * d);
        Parameter p;
        if (Int8(key, shape))
        {
            var (values, scales) = (new sbyte[count], new float[shape[0]]);
            source.Weights!.ReadInt8Into(StoredKey(key), values, scales, shape);
            p = new Parameter(source.NamePrefix + key, Skald.Tensors.Quantization.Int8Matrix.FromQuantized(values, scales, shape[0], shape[1]),
                WeightDecayFor(key));
        }
        else if (Narrow(shape))
        {
            var bits = new ushort[count];
            p = new Parameter(source.NamePrefix + key, bits, source.Precision, shape, WeightDecayFor(key));
            Fill(key, bits, shape);
        }
        else if (MatrixInFile([key], shape) is { } inFile)
            p = new Parameter(source.NamePrefix + key, inFile, WeightPrecision.Float32, shape, WeightDecayFor(key));
        else
        {
            var data = new float[count];
            p = new Parameter(source.NamePrefix + key, data, shape, WeightDecayFor(key));
            Fill(key, data, shape);
        }
        source.All.Add(p);
        return p;
    }

    /// <summary>
    /// The tensor <paramref name="leaf"/> of shape <paramref name="shape"/> with values from <paramref name="compute"/>
    /// instead of the checkpoint or initializer (a fixed table that upstream computes when a checkpoint leaves it out),
    /// held as <see cref="Tensor"/> would hold it at the builder's precision.
    /// </summary>
    public Parameter Computed(string leaf, ParameterInitializer compute, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(compute);
        string key = Key(leaf);
        var data = new float[shape.Aggregate(1L, (a, d) => a * d)];
        compute(key, data);
        Parameter p;
        if (Narrow(shape))
        {
            var bits = new ushort[data.Length];
            F16.FromSingle(source.Precision, data, bits);
            p = new Parameter(source.NamePrefix + key, bits, source.Precision, shape, WeightDecayFor(key));
        }
        else p = new Parameter(source.NamePrefix + key, data, shape, WeightDecayFor(key));
        source.All.Add(p);
        return p;
    }

    /// <summary>
    /// transformers' Conv1D weight <paramref name="leaf"/> (GPT-2's <c>c_attn</c>, <c>c_proj</c>, <c>c_fc</c>): stored
    /// [<paramref name="inFeatures"/>, <paramref name="outFeatures"/>], held [out, in] as an nn.Linear weight, so
    /// <c>Ops.Linear</c>, LoRA, GEMM packing and int8 treat it as any Linear weight; it is marked
    /// <see cref="Parameter.StoredTransposed"/> for the writers (<see cref="StoredLayout"/>). A saved int8 model
    /// (<c>Int8Checkpoint</c>) stores it int8 [out, in], as every int8 Linear weight: read as <see cref="Tensor"/> reads one.
    /// </summary>
    public Parameter Conv1D(string leaf, int outFeatures, int inFeatures)
    {
        if (source.Weights is not { } weights || weights.IsInt8(StoredKey(Key(leaf))))
        {
            var held = Tensor(leaf, outFeatures, inFeatures);
            held.StoredTransposed = true;
            return held;
        }
        string key = Key(leaf);
        int[] shape = [outFeatures, inFeatures];
        Parameter p;
        if (Narrow(shape))
        {
            var stored = new ushort[(long)outFeatures * inFeatures];
            weights.ReadInto(StoredKey(key), source.Precision, stored, inFeatures, outFeatures);
            var bits = new ushort[stored.Length];
            StoredLayout.Transpose<ushort>(stored, bits, inFeatures, outFeatures);
            p = new Parameter(source.NamePrefix + key, bits, source.Precision, shape, WeightDecayFor(key));
        }
        else
        {
            var stored = weights.Read(StoredKey(key), inFeatures, outFeatures);
            var data = new float[stored.Length];
            StoredLayout.Transpose<float>(stored, data, inFeatures, outFeatures);
            p = new Parameter(source.NamePrefix + key, data, shape, WeightDecayFor(key));
        }
        p.StoredTransposed = true;
        source.All.Add(p);
        return p;
    }

    /// <summary>
    /// The embedding table <paramref name="leaf"/> of shape [<paramref name="rows"/>, <paramref name="dim"/>], which the
    /// forward reads by rows (<c>Ops.Gather</c>). Read from a checkpoint that stores it as F32, BF16 or F16, it stays in
    /// the file (<see cref="Parameter.IsFileBacked"/>): the process keeps only the rows gathered, read on first use, while a
    /// multilingual vocabulary table is most of a small model's weights. Its rows read as the builder's precision
    /// would hold them (rounded to a narrower 16-bit format, as <see cref="Tensor"/> reads it). Training, or anything
    /// else that needs the whole table, copies it into memory on first use. Otherwise it is <see cref="Tensor"/>. With
    /// <paramref name="leaveInFile"/> false (a small position or type table) it is read into memory. Either way it is
    /// <see cref="Parameter.IsTable"/>: LoRA on it is peft's Embedding LoRA, and <c>all-linear</c> leaves it out.
    /// </summary>
    public Parameter Table(string leaf, int rows, int dim, bool leaveInFile = true)
    {
        string key = Key(leaf);
        if (leaveInFile && source.Weights is { } weights && weights.Contains(StoredKey(key)) && !Int8(key, [rows, dim])
            && weights.LeaveInFile(StoredKey(key), rows, dim) is { } inFile)
        {
            var p = new Parameter(source.NamePrefix + key, inFile, source.Precision, [rows, dim], WeightDecayFor(key)) { IsTable = true };
            source.All.Add(p);
            return p;
        }
        var table = Tensor(leaf, rows, dim);
        table.IsTable = true;
        return table;
    }

    /// <summary>
    /// Tensors <c>{name}.{leaf}</c> for each of <paramref name="names"/>, each of shape <paramref name="shape"/>, stored
    /// one after another so that <c>Stacked</c> (shape [names·shape[0], ...]) multiplies by all of them at once. The
    /// parts are the parameters (saved, decayed and targeted by their own keys); the stacked view is for the forward.
    /// </summary>
    public (Parameter Stacked, Parameter[] Parts) Stack(IReadOnlyList<string> names, string leaf, params int[] shape)
    {
        var keys = names.Select(n => Key(leaf.Length == 0 ? n : $"{n}.{leaf}")).ToArray(); // "": the names are the keys
        if (keys.All(k => Int8(k, shape))) return StackInt8(keys, names, leaf, shape);
        string wholeName = source.NamePrefix + Key($"{{{string.Join(",", names)}}}.{leaf}");
        if (MatrixInFile(keys, shape) is { } inFile)
        {
            var (left, leftParts) = Parameter.StackInFile(wholeName, keys.Select(k => (source.NamePrefix + k, shape)).ToArray(),
                WeightDecayFor(keys[0]), inFile);
            source.All.AddRange(leftParts);
            return (left, leftParts);
        }
        var (whole, parts) = Parameter.Stack(wholeName,
            keys.Select(k => (source.NamePrefix + k, shape)).ToArray(), WeightDecayFor(keys[0]),
            Narrow(shape) ? source.Precision : WeightPrecision.Float32);
        for (int i = 0; i < parts.Length; i++)
        {
            if (Narrow(shape)) Fill(keys[i], parts[i].Bits16.Span, shape);
            else Fill(keys[i], parts[i].Data.Span, shape);
            source.All.Add(parts[i]);
        }
        return (whole, parts);
    }

    private (Parameter Stacked, Parameter[] Parts) StackInt8(string[] keys, IReadOnlyList<string> names, string leaf, int[] shape)
    {
        int rows = shape[0] * keys.Length, k = shape[1];
        var values = new sbyte[(long)rows * k];
        var scales = new float[rows];
        for (int i = 0; i < keys.Length; i++)
        {
            source.Weights!.ReadInt8Into(StoredKey(keys[i]), values.AsSpan(i * shape[0] * k, shape[0] * k),
                scales.AsSpan(i * shape[0], shape[0]), shape);
        }
        var whole = Skald.Tensors.Quantization.Int8Matrix.FromQuantized(values, scales, rows, k);
        var (stacked, parts) = Parameter.StackInt8(source.NamePrefix + Key($"{{{string.Join(",", names)}}}.{leaf}"),
            keys.Select(key => (source.NamePrefix + key, shape)).ToArray(), WeightDecayFor(keys[0]), whole);
        foreach (var part in parts) source.All.Add(part);
        return (stacked, parts);
    }

    // A 2-D tensor stored as int8 with a scale, kept so (keepInt8, a CPU with an int8 kernel).
    private bool Int8(string key, int[] shape) => source.KeepInt8 && shape.Length == 2
        && Skald.Tensors.Quantization.Int8Gemm.Best is not null && source.Weights!.IsInt8(StoredKey(key));

    // A float32 matrix (several stacked: their keys in row order) left in its file (leaveMatricesInFile), or null: read it.
    private Skald.Tensors.Memory.FileValues? MatrixInFile(string[] keys, int[] shape) =>
        source.LeaveMatricesInFile && shape.Length == 2 && source.Precision == WeightPrecision.Float32 && source.Weights is { } weights
            && !keys.Any(k => Int8(k, shape)) ? weights.LeaveInFile([.. keys.Select(StoredKey)], shape[0], shape[1]) : null;

    /// <summary>HF Trainer's rule: no weight decay for biases and normalisation weights (LayerNorm, layer_norm, RMSNorm).</summary>
    public static bool WeightDecayFor(string key) =>
        !(key.EndsWith(".bias", StringComparison.Ordinal) || key.Contains("norm", StringComparison.OrdinalIgnoreCase));

    private bool Narrow(int[] shape) => source.Precision != WeightPrecision.Float32 && shape.Length == 2;

    private void Fill(string key, Span<float> values, int[] shape)
    {
        if (source.Initializer is { } init)
        {
            init(key, values);
            return;
        }
        source.Weights!.ReadInto(StoredKey(key), values, shape);
    }

    private void Fill(string key, Span<ushort> values, int[] shape)
    {
        if (source.Initializer is { } init)
        {
            var wide = new float[values.Length];
            init(key, wide);
            F16.FromSingle(source.Precision, wide, values);
            return;
        }
        source.Weights!.ReadInto(StoredKey(key), source.Precision, values, shape);
    }

    // Old TF-converted checkpoints name LayerNorm parameters gamma/beta; transformers renames them on load, and so
    // does this reader: the parameter keeps the current name.
    private string StoredKey(string key)
    {
        var w = source.Weights!;
        if (w.Contains(key)) return key;
        string alias = key.EndsWith(".weight", StringComparison.Ordinal) ? key[..^".weight".Length] + ".gamma"
            : key.EndsWith(".bias", StringComparison.Ordinal) ? key[..^".bias".Length] + ".beta" : key;
        return alias != key && w.Contains(alias) ? alias : key;
    }

    private sealed record Source(Checkpoint? Weights, ParameterInitializer? Initializer, string NamePrefix,
        WeightPrecision Precision)
    {
        public List<Parameter> All { get; } = [];

        public bool KeepInt8 { get; init; }

        public bool LeaveMatricesInFile { get; init; }
    }
}
