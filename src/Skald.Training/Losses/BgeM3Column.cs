using Skald.Models;
using Skald.Models.BgeM3;
using Skald.Tensors.Autograd;
using Skald.Training.Modeling;

namespace Skald.Training.Losses;

/// <summary>
/// One column of a <see cref="BgeM3Loss"/> batch through a recorded pass: the dense embeddings, and with the heads the
/// lexical weights (sparse_linear over every real token) and the ColBERT vectors (colbert_linear over every real token
/// after the first, L2-normalised) computed on the pass's tape, copied out for the scores; their gradients are gathered
/// here and seeded into the pass before its backward.
/// </summary>
internal sealed class BgeM3Column
{
    private readonly Variable? logits;       // [n, 1]: every real token's sparse_linear output, text by text
    private readonly Variable? vectors;      // [n − texts, D]: the ColBERT vectors, text by text
    private readonly int[] logitStart = [];  // per text, its first row in logits (and one past the last text)
    private readonly int[] vectorStart = []; // per text, its first row in vectors
    private readonly float[] vectorValues = [];
    private readonly int logitCount;         // rows of logits
    private double[]? logitGradients;        // made when first gathered into (a replayed chunk's never are)
    private float[]? vectorGradients;

    private BgeM3Column(EmbeddingBatch embeddings, int[] lengths)
    {
        Embeddings = embeddings;
        Lengths = lengths;
    }

    private BgeM3Column(EmbeddingBatch embeddings, int[] lengths, Variable? logits, Variable? vectors, float[] vectorValues, int logitCount,
        int[] logitStart, int[] vectorStart, LexicalWeights[] lexical, int dim) : this(embeddings, lengths)
    {
        this.logits = logits;
        this.vectors = vectors;
        this.logitStart = logitStart;
        this.vectorStart = vectorStart;
        this.vectorValues = vectorValues;
        this.logitCount = logitCount;
        Lexical = lexical;
        Dim = dim;
    }

    /// <summary>The dense embeddings [texts, dim] (the folder's chain).</summary>
    public EmbeddingBatch Embeddings { get; }

    /// <summary>Each text's real tokens, specials included.</summary>
    public int[] Lengths { get; }

    /// <summary>Each text's lexical weights (empty without heads).</summary>
    public LexicalWeights[] Lexical { get; } = [];

    /// <summary>Width of a ColBERT vector.</summary>
    public int Dim { get; }

    /// <summary>
    /// The column's texts through <paramref name="pass"/>: the embeddings, and with <paramref name="heads"/> the head
    /// outputs on the pass's tape. On a pass that does not record (GradCache's first pass) the outputs are copied out
    /// and the tape freed: such a column holds values only (<see cref="Concat"/> joins its chunks). Without
    /// <paramref name="read"/> (a GradCache replay, seeded from the joined column) the head outputs are not read back.
    /// </summary>
    public static BgeM3Column Forward(EncoderPass pass, ModelInputs inputs, BgeM3Heads? heads, int[] unused, bool read = true)
    {
        var (embeddings, tokens, hidden) = pass.ForwardStates(inputs);
        var tape = pass.Tape;
        var lengths = new int[tokens.Batch];
        int real = 0;
        for (int b = 0; b < tokens.Batch; b++)
        {
            for (int t = 0; t < tokens.Seq; t++) lengths[b] += tokens.Mask[b * tokens.Seq + t] != 0 ? 1 : 0;
            real += lengths[b];
        }
        if (heads is null)
        {
            if (!pass.Recording) tape.Reset();
            return new BgeM3Column(embeddings, lengths);
        }
        var all = new int[real];
        var after = new int[real - tokens.Batch + lengths.Count(n => n == 0)];
        var logitStart = new int[tokens.Batch + 1];
        var vectorStart = new int[tokens.Batch + 1];
        int k = 0, v = 0;
        for (int b = 0; b < tokens.Batch; b++)
        {
            logitStart[b] = k;
            vectorStart[b] = v;
            bool first = true;
            for (int t = 0; t < tokens.Seq; t++)
            {
                int row = b * tokens.Seq + t;
                if (tokens.Mask[row] == 0) continue;
                all[k++] = row;
                if (!first) after[v++] = row;
                first = false;
            }
        }
        logitStart[tokens.Batch] = k;
        vectorStart[tokens.Batch] = v;
        var logits = Ops.Linear(tape, Ops.SelectRows(tape, hidden, all), heads.SparseWeight, heads.SparseBias);
        var vectors = Ops.Normalize(tape, Ops.Linear(tape, Ops.SelectRows(tape, hidden, after), heads.ColbertWeight, heads.ColbertBias));
        int dim = vectors.Cols;
        if (!read && pass.Recording) return new BgeM3Column(embeddings, lengths, logits, vectors, [], real, logitStart, vectorStart, [], dim);
        var lexical = new LexicalWeights[tokens.Batch];
        var ids = new int[real];
        for (int i = 0; i < real; i++) ids[i] = tokens.Ids[all[i]];
        for (int b = 0; b < tokens.Batch; b++)
        {
            int start = logitStart[b], n = logitStart[b + 1] - start;
            lexical[b] = LexicalWeights.From(logits.Span.Slice(start, n), ids.AsSpan(start, n), unused);
        }
        var values = vectors.Span.ToArray();
        if (!pass.Recording) tape.Reset();
        return pass.Recording
            ? new BgeM3Column(embeddings, lengths, logits, vectors, values, real, logitStart, vectorStart, lexical, dim)
            : new BgeM3Column(embeddings, lengths, null, null, values, real, logitStart, vectorStart, lexical, dim);
    }

    /// <summary>
    /// One column of the whole batch from its chunks' columns in row order (values only, no tape): the loss reads it
    /// as a column of one pass, and each chunk's recorded replay takes its share of the gradients gathered here
    /// (<see cref="SeedFrom"/>).
    /// </summary>
    public static BgeM3Column Concat(IReadOnlyList<BgeM3Column> chunks)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        var embeddings = EmbeddingBatch.Concat([.. chunks.Select(c => c.Embeddings)]);
        int[] lengths = [.. chunks.SelectMany(c => c.Lengths)];
        if (chunks[0].Lexical.Length == 0) return new BgeM3Column(embeddings, lengths);
        int texts = lengths.Length, dim = chunks[0].Dim;
        var logitStart = new int[texts + 1];
        var vectorStart = new int[texts + 1];
        int row = 0, logitOffset = 0, vectorOffset = 0;
        foreach (var chunk in chunks)
        {
            for (int t = 0; t < chunk.Lengths.Length; t++, row++)
            {
                logitStart[row] = logitOffset + chunk.logitStart[t];
                vectorStart[row] = vectorOffset + chunk.vectorStart[t];
            }
            logitOffset += chunk.logitCount;
            vectorOffset += chunk.vectorStart[^1];
        }
        logitStart[texts] = logitOffset;
        vectorStart[texts] = vectorOffset;
        float[] values = [.. chunks.SelectMany(c => c.vectorValues)];
        LexicalWeights[] lexical = [.. chunks.SelectMany(c => c.Lexical)];
        return new BgeM3Column(embeddings, lengths, null, null, values, logitOffset, logitStart, vectorStart, lexical, dim);
    }

    private double[] LogitBuffer => logitGradients ??= new double[logitCount];

    private float[] VectorBuffer => vectorGradients ??= new float[vectorStart[^1] * Dim];

    /// <summary>Text <paramref name="text"/>'s ColBERT vectors, row-major.</summary>
    public ReadOnlySpan<float> Vectors(int text) =>
        vectorValues.AsSpan(vectorStart[text] * Dim, (vectorStart[text + 1] - vectorStart[text]) * Dim);

    /// <summary>How many ColBERT vectors text <paramref name="text"/> has (at least 1, the divisor of its mean).</summary>
    public int VectorCount(int text) => Math.Max(1, vectorStart[text + 1] - vectorStart[text]);

    /// <summary>
    /// A copy of text <paramref name="text"/>'s vectors as a passage of a step whose longest passage has
    /// <paramref name="longest"/> tokens: one zero vector more when it is shorter (upstream's padded positions).
    /// </summary>
    public float[] PaddedVectors(int text, int longest)
    {
        var own = Vectors(text);
        var copy = new float[own.Length + (Lengths[text] < longest ? Dim : 0)];
        own.CopyTo(copy);
        return copy;
    }

    /// <summary>d(loss)/d(logit) of text <paramref name="text"/>'s tokens, to add into.</summary>
    public Span<double> LogitGradients(int text) => LogitBuffer.AsSpan(logitStart[text], logitStart[text + 1] - logitStart[text]);

    /// <summary>Adds <paramref name="gradient"/> (for <see cref="Vectors"/> or <see cref="PaddedVectors"/>: a padding row's is dropped) to text <paramref name="text"/>'s vectors.</summary>
    public void AddVectorGradient(int text, float[] gradient)
    {
        var own = VectorBuffer.AsSpan(vectorStart[text] * Dim, (vectorStart[text + 1] - vectorStart[text]) * Dim);
        System.Numerics.Tensors.TensorPrimitives.Add(own, gradient.AsSpan(0, own.Length), own);
    }

    /// <summary>Seeds the heads' outputs with their gathered gradients times <paramref name="scale"/>.</summary>
    public void Seed(EncoderPass pass, float scale) => SeedFrom(pass, this, 0, scale);

    /// <summary>
    /// Seeds this recorded column's head outputs with the gradients <paramref name="whole"/> gathered for its texts,
    /// which are <paramref name="whole"/>'s from row <paramref name="start"/> on (a GradCache chunk of a
    /// <see cref="Concat"/> column; the column itself with 0), times <paramref name="scale"/>.
    /// </summary>
    public void SeedFrom(EncoderPass pass, BgeM3Column whole, int start, float scale)
    {
        ArgumentNullException.ThrowIfNull(whole);
        if (logits is null || vectors is null) return;
        int texts = Lengths.Length;
        var g = new float[logitCount];
        var logitSource = whole.LogitBuffer.AsSpan(whole.logitStart[start], whole.logitStart[start + texts] - whole.logitStart[start]);
        var vectorSource = whole.VectorBuffer.AsSpan(whole.vectorStart[start] * Dim, (whole.vectorStart[start + texts] - whole.vectorStart[start]) * Dim);
        if (logitSource.Length != g.Length || vectorSource.Length != vectorStart[^1] * Dim)
            throw new InvalidOperationException("a replayed chunk's tokens differ from its first pass's");
        for (int i = 0; i < g.Length; i++) g[i] = (float)logitSource[i];
        pass.Seed(logits, g, scale);
        pass.Seed(vectors, vectorSource, scale);
    }
}
