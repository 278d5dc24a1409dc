using Skald.Tensors.Memory;

namespace Skald.Tensors.Autograd;

/// <summary>
/// The context of a forward pass, and reverse-mode automatic differentiation: ops (<see cref="Ops"/>) compute their
/// forward result into arena memory and, when <see cref="Recording"/>, append a backward closure (an op that does not
/// record creates no closure and, once the tape is warm, allocates nothing). Models read their training mode from the
/// tape: <see cref="Dropout"/> and <see cref="Random"/>. <see cref="Backward"/> walks the closures in reverse.
/// Each closure reads its output's gradient and writes its inputs' gradients: the first writer of an input gradient
/// overwrites a pooled buffer, later writers add into it (kernels overwrite input gradients and accumulate parameter
/// gradients, so parameter gradients in <see cref="Parameter.Grad"/> accumulate across passes until zeroed).
/// An op whose output got no gradient is skipped. Not thread-safe; one pass at a time.
/// </summary>
public sealed partial class Tape
{
    private readonly List<(Variable Output, Action Backward)> entries = [];
    private readonly Dictionary<int, Stack<float[]>> pool = [];
    private readonly Dictionary<int, Stack<int[]>> intPool = [];
    private readonly List<int[]> intsInUse = [];
    private readonly List<Variable> variables = [];
    private int variablesInUse;

    /// <summary>A tape over <paramref name="arena"/> (a new one when null).</summary>
    public Tape(ChunkArena? arena = null, bool recording = true)
    {
        Arena = arena ?? new ChunkArena();
        Recording = recording;
    }

    /// <summary>Activation memory; rewound by <see cref="Reset"/>.</summary>
    public ChunkArena Arena { get; }

    /// <summary>Whether ops record their backward closures (false: inference / no-grad forward).</summary>
    public bool Recording { get; set; }

    /// <summary>
    /// Dropout probability models apply in this pass (hidden states, attention probabilities; 0 = inference).
    /// Needs <see cref="Random"/> when above 0.
    /// </summary>
    public float Dropout
    {
        get => dropout;
        set => dropout = value is >= 0f and < 1f ? value : throw new ArgumentOutOfRangeException(nameof(value), "dropout must be in [0, 1)");
    }

    private float dropout;

    /// <summary>
    /// A training-mode pass: adapters apply their own dropout (LoRA's lora_dropout, drawn from <see cref="Random"/>)
    /// even when <see cref="Dropout"/> is 0, as decoders train with attention dropout 0 and LoRA dropout 0.05.
    /// </summary>
    public bool Training { get; set; }

    /// <summary>The generator dropout seeds are drawn from (one draw per dropout op).</summary>
    public SkaldRandom? Random { get; set; }

    /// <summary>
    /// Activation recomputation (gradient checkpointing, torch.utils.checkpoint): a recording pass keeps only each
    /// <see cref="Layer{TState}"/>'s input and output and runs the layer again, recording, during <see cref="Backward"/>.
    /// Gradients are bit-identical to a pass without it; memory is one layer's activations plus the layer boundaries.
    /// </summary>
    public bool Checkpointing { get; set; }

    /// <summary>
    /// The token a pass looks at before each layer of a stack (<see cref="Layer{TState}"/>): once it is cancelled, the
    /// next layer does not start and <see cref="OperationCanceledException"/> is thrown with it, so a long batch stops
    /// within one layer instead of at its end (none by default). The pass is abandoned: <see cref="Reset"/> the tape
    /// before the next one, as every pass does. The owner of the tape sets it for a pass and clears it after. Not looked
    /// at while <see cref="Backward"/> recomputes a checkpointed layer.
    /// </summary>
    public CancellationToken Cancellation { get; set; }

    /// <summary>
    /// Starts a pass that <paramref name="cancellationToken"/> may stop between layers: <see cref="Reset"/>, then
    /// <see cref="Cancellation"/> set until the returned <see cref="TapePass"/> is disposed
    /// (<c>using (tape.Pass(token)) y = model.Forward(tape, x);</c>).
    /// </summary>
    public TapePass Pass(CancellationToken cancellationToken)
    {
        Reset();
        Cancellation = cancellationToken;
        return new TapePass(this);
    }

    /// <summary>For tests: called before each layer of a stack starts (<see cref="Layer{TState}"/>), before <see cref="Cancellation"/> is looked at.</summary>
    internal Action? LayerStarting { get; set; }

    /// <summary>Recorded ops not yet run backward.</summary>
    public int Count => entries.Count;

    /// <summary>A new variable over uninitialised (or zeroed) arena memory.</summary>
    public Variable NewVariable(int rows, int cols, bool zeroed = false, bool? requiresGrad = null)
    {
        var m = zeroed ? Arena.AllocateZeroed(rows * cols) : Arena.Allocate(rows * cols);
        if (variablesInUse == variables.Count) variables.Add(new Variable());
        var v = variables[variablesInUse++];
        v.Bind(m, rows, cols, requiresGrad ?? Recording);
        return v;
    }

    /// <summary>The arena position, for <see cref="Keep"/>.</summary>
    public ArenaMark Mark() => Arena.Mark();

    /// <summary>
    /// When not recording: moves <paramref name="x"/> to <paramref name="mark"/> and frees everything allocated after
    /// the mark, so a layer-by-layer inference pass needs one layer's activations, not all of them (the other variables
    /// made since the mark become invalid). When recording (the backward pass needs them) it returns x unchanged.
    /// </summary>
    public Variable Keep(ArenaMark mark, Variable x)
    {
        if (Recording) return x;
        var source = x.Data;
        Arena.Rewind(mark);
        var target = Arena.Allocate(source.Length);
        source.Span.CopyTo(target.Span); // memmove: the target never lies after the source
        x.Move(target);
        return x;
    }

    /// <summary>A leaf variable holding a copy of <paramref name="values"/>.</summary>
    public Variable Constant(ReadOnlySpan<float> values, int rows, int cols, bool requiresGrad = false)
    {
        var v = NewVariable(rows, cols, requiresGrad: requiresGrad);
        values.CopyTo(v.Span);
        return v;
    }

    /// <summary>
    /// Where an op's backward accumulates <paramref name="p"/>'s gradient: <see cref="Parameter.Grad"/>, or for a frozen
    /// parameter (<see cref="Parameter.RequiresGrad"/> false) a scratch buffer whose contents are thrown away, so kernels
    /// that always produce a weight gradient (norms) need no special case and frozen parameters get no gradient memory.
    /// </summary>
    public Span<float> ParameterGrad(Parameter p)
    {
        if (p.RequiresGrad) return p.Grad.Span;
        if (discard.Length < p.Length) discard = new float[p.Length];
        return discard.AsSpan(0, p.Length);
    }

    private float[] discard = [];

    /// <summary>Arena memory for values an op keeps for its backward pass.</summary>
    public Memory<float> Save(int length) => Arena.Allocate(length);

    /// <summary>Appends the backward closure of the op that produced <paramref name="output"/>.</summary>
    public void Record(Variable output, Action backward)
    {
        if (Recording && output.RequiresGrad) entries.Add((output, backward));
    }

    /// <summary>Whether an op that produced <paramref name="output"/> must record its backward (build the closure only then).</summary>
    public bool Records(Variable output) => Recording && output.RequiresGrad;

    /// <summary>Adds <paramref name="gradient"/> to the gradient of <paramref name="v"/> (the seed of a backward pass).</summary>
    public void Seed(Variable v, ReadOnlySpan<float> gradient, float scale = 1f)
    {
        var g = GradFor(v, out bool accumulate).AsSpan(0, v.Length);
        if (accumulate) System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(gradient[..v.Length], scale, g, g);
        else System.Numerics.Tensors.TensorPrimitives.Multiply(gradient[..v.Length], scale, g);
    }

    /// <summary>Runs the recorded closures in reverse and clears them. Parameter gradients accumulate.</summary>
    public void Backward()
    {
        for (int i = entries.Count - 1; i >= 0; i--)
        {
            var (output, backward) = entries[i];
            if (output.GradArray is null) continue;
            backward();
            ReleaseGrad(output);
        }
        entries.Clear();
    }

    /// <summary>
    /// Drops recorded closures and releases the activation memory (every variable of this tape becomes invalid;
    /// gradients still attached to leaves stay with them).
    /// </summary>
    public void Reset()
    {
        foreach (var (output, _) in entries) ReleaseGrad(output);
        entries.Clear();
        Arena.Reset();
        variablesInUse = 0;
        // Keep only the arrays the pass just ended used (those it did not are dropped), so a stream of batches of many
        // shapes holds one pass's worth, not one array of every length it ever saw.
        foreach (var stack in intPool.Values) stack.Clear();
        if (intPool.Count > MaxIntLengths) intPool.Clear();
        foreach (var ints in intsInUse)
        {
            if (!intPool.TryGetValue(ints.Length, out var s)) intPool[ints.Length] = s = new Stack<int[]>();
            s.Push(ints);
        }
        intsInUse.Clear();
        foreach (var rows in UnpaddedInUse) UnpaddedFree.Push(rows);
        UnpaddedInUse.Clear();
    }

    private const int MaxIntLengths = 64;

    /// <summary>
    /// An int array of exactly <paramref name="length"/> elements (contents undefined) for this pass: the tape's until
    /// <see cref="Reset"/>, then reused for the next pass's array of that length (a pass's per-token indices, such as
    /// <see cref="UnpaddedRows"/>'s, so that a warm pass over batches of one shape allocates nothing); only the arrays of
    /// the last pass are kept.
    /// </summary>
    public int[] Ints(int length)
    {
        var ints = intPool.TryGetValue(length, out var s) && s.Count > 0 ? s.Pop() : new int[length];
        intsInUse.Add(ints);
        return ints;
    }

    /// <summary><see cref="UnpaddedRows"/> of this pass (<see cref="UnpaddedRows.FromMask(ReadOnlySpan{int}, int, int, Tape)"/>),
    /// kept for reuse after <see cref="Reset"/>.</summary>
    internal List<UnpaddedRows> UnpaddedInUse { get; } = [];

    /// <summary>Instances of <see cref="UnpaddedRows"/> free for this tape's next pass.</summary>
    internal Stack<UnpaddedRows> UnpaddedFree { get; } = new();

    /// <summary>
    /// The gradient buffer of <paramref name="v"/> for an op's backward: a fresh buffer to overwrite
    /// (<paramref name="accumulate"/> false) or the existing one to add into (true).
    /// </summary>
    public float[] GradFor(Variable v, out bool accumulate)
    {
        if (v.GradArray is { } g)
        {
            accumulate = true;
            return g;
        }
        accumulate = false;
        g = Rent(v.Length);
        v.GradArray = g;
        return g;
    }

    /// <summary>
    /// Writes an input gradient through a kernel that overwrites its output: straight into a fresh gradient, or via a
    /// scratch buffer that is then added.
    /// </summary>
    public void WriteGrad(Variable v, GradWriter write)
    {
        if (!v.RequiresGrad) return;
        var g = GradFor(v, out bool accumulate);
        if (!accumulate)
        {
            write(g.AsSpan(0, v.Length));
            return;
        }
        var tmp = Rent(v.Length);
        var t = tmp.AsSpan(0, v.Length);
        write(t);
        System.Numerics.Tensors.TensorPrimitives.Add(g.AsSpan(0, v.Length), t, g.AsSpan(0, v.Length));
        Return(tmp);
    }

    /// <summary>A pooled scratch buffer of exactly <paramref name="length"/> usable floats (contents undefined).</summary>
    public float[] Rent(int length)
    {
        if (pool.TryGetValue(length, out var s) && s.Count > 0) return s.Pop();
        return new float[length];
    }

    /// <summary>Returns a buffer from <see cref="Rent"/>.</summary>
    public void Return(float[] buffer)
    {
        if (!pool.TryGetValue(buffer.Length, out var s)) pool[buffer.Length] = s = new Stack<float[]>();
        s.Push(buffer);
    }

    private void ReleaseGrad(Variable v)
    {
        if (v.GradArray is { } g)
        {
            v.GradArray = null;
            Return(g);
        }
    }

    /// <summary>Drops every pooled buffer (frees the memory for the GC).</summary>
    public void TrimPool() => pool.Clear();
}
