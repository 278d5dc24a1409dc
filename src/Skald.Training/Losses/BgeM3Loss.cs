using Skald.Models;
using Skald.Models.BgeM3;
using Skald.Tensors.Autograd;
using Skald.Tensors.Kernels;
using Skald.Training.Modeling;

namespace Skald.Training.Losses;

/// <summary>
/// BGE-M3's unified fine-tuning (FlagEmbedding's <c>EncoderOnlyEmbedderM3Model</c> with <c>unified_finetuning</c>):
/// one recorded pass per column (queries, then the positives and each negative column) gives the three outputs of a
/// BGE-M3 folder, and <see cref="BgeM3Objective"/> trains them together, with the folder's two heads
/// (<c>sparse_linear.pt</c>, <c>colbert_linear.pt</c>) as this loss's parameters, saved back in their files.
/// <list type="bullet">
/// <item>dense: the folder's chain (CLS, Normalize); score q·p / temperature</item>
/// <item>sparse: relu(sparse_linear(h_t)) per token, per token id the max over the text, the cls/eos/pad/unk ids left
/// out (<see cref="LexicalWeights"/>); score Σ w_q·w_p / temperature</item>
/// <item>ColBERT: colbert_linear(h_t) for every token after the first, L2-normalised; score = for each query vector the
/// best dot with a passage vector (<see cref="MaxSim"/>), summed, / the query's vectors, / temperature. Upstream pads
/// all passages of a step into one batch, and a padded position is a zero vector that the max sees: a passage shorter
/// than the step's longest gets one zero vector here, which gives the same scores and gradients.</item>
/// </list>
/// Candidates are every passage of the batch (in-batch negatives), or for a batch of a <c>no_in_batch_neg</c>
/// data set (<see cref="TrainingBatch.NoInBatchNegatives"/>) the row's own passages only. Under mpirun each rank holds its
/// shard of the rows and does what FlagEmbedding does with <c>negatives_cross_device</c>: the dense term scores the
/// rank's queries against every rank's passages (<see cref="BgeM3DenseAcrossRanks"/> through <see cref="AcrossRanks"/>;
/// with a kl_div teacher its distillation part stays on the rank's rows), while the sparse, ColBERT and ensemble terms
/// and self-distillation stay on the rank (its rows against its passages; upstream disables cross-device negatives for
/// them), as does every term of a no_in_batch_neg batch. The step's loss is the mean over ranks of each rank's loss
/// (what the HF Trainer logs) and its gradient is that mean's: the rank-local terms count 1/world_size each, the
/// cross-device part once. With a label column (a teacher's scores of
/// the positive, then of each negative) the terms are knowledge distillation (kd_loss_type). Self-distillation starts
/// when <see cref="Step"/> (the batches this loss has seen before, upstream's <c>self.step</c>) exceeds
/// <see cref="SelfDistillStartStep"/>. With <see cref="MiniBatchSize"/> the step runs through GradCache over the three
/// outputs (the same loss and gradients, a chunk's activation memory).
/// </summary>
/// <remarks>
/// Upstream: https://github.com/FlagOpen/FlagEmbedding/blob/7ed43d67ec03fbe5c31c0992dbfa941fb1860549/FlagEmbedding/finetune/embedder/encoder_only/m3/modeling.py
/// (_dense_embedding, _sparse_embedding, _colbert_embedding, compute_*_score, forward, save) and runner.py (get_model,
/// fix_encoder) at the same commit. Parity: fixtures/training/make_bge_m3_reference.py.
/// </remarks>
public sealed class BgeM3Loss : ILoss
{
    private readonly BgeM3Heads heads;
    private readonly int[] unused;
    private readonly Parameter[] parameters;
    private readonly Dictionary<string, double> terms = new(StringComparer.Ordinal);

    /// <summary>
    /// The loss for <paramref name="model"/>, a BGE-M3 folder or a base without the heads: a folder's heads are read
    /// (<see cref="ModelFormatException"/> naming a missing or malformed head file, or a <paramref name="colbertDim"/>
    /// above 0 that is not their width); a folder with neither file gets new ones (<see cref="NewHeads"/>:
    /// colbert_linear to <paramref name="colbertDim"/> values, the hidden size when it is 0 or below, drawn from
    /// <paramref name="seed"/> as torch.nn.Linear initialises). They train with the model when
    /// <paramref name="unified"/>; without it only the dense term trains and the heads are left as they are.
    /// </summary>
    public BgeM3Loss(TrainableEncoder model, float temperature = 0.02f, bool unified = true, bool selfDistill = false,
        long selfDistillStartStep = -1, bool m3KdLoss = false, int colbertDim = -1, ulong seed = 42)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (!(temperature > 0)) throw new ArgumentOutOfRangeException(nameof(temperature), "the temperature must be above 0");
        var m = model.Model;
        string folder = m.Folder.Path;
        if (m.Folder.IsStatic || m.IsSparse || m.StaticQuery is not null || m.QueryDense.Count > 0 || m.Folder.Llm2Vec is not null)
            throw new ModelFormatException($"{folder}: BGE-M3 training needs a dense sentence-transformers chain (Transformer → Pooling → Normalize) with the two heads beside it");
        int hidden = m.Transformer.HiddenSize;
        NewHeads = !BgeM3Heads.AnyIn(folder);
        heads = NewHeads ? BgeM3Heads.Create(hidden, colbertDim, seed) : BgeM3Heads.Load(folder, hidden);
        if (colbertDim > 0 && heads.ColbertDimension != colbertDim)
            throw new ModelFormatException($"{Path.Combine(folder, BgeM3Heads.ColbertFile)}: colbert_linear maps to {heads.ColbertDimension} values, " +
                $"not colbert_dim {colbertDim} (a folder's heads keep their width; colbert_dim sizes new heads only)");
        try
        {
            unused = BgeM3Encoder.UnusedIds(m);
        }
        catch (Skald.Tokenizers.TokenizerException e)
        {
            throw new ModelFormatException(e.Message);
        }
        Temperature = temperature;
        Unified = unified;
        UseSelfDistill = selfDistill;
        SelfDistillStartStep = selfDistillStartStep;
        M3KdLoss = m3KdLoss;
        parameters = unified ? [heads.SparseWeight, heads.SparseBias, heads.ColbertWeight, heads.ColbertBias] : [];
    }

    /// <inheritdoc />
    public string Name => "bge_m3";

    /// <summary>Runs under mpirun as FlagEmbedding's negatives_cross_device (see the class summary).</summary>
    public bool SpansRanks => true;

    /// <summary>Whether the heads are new (the folder had neither head file), drawn rather than read.</summary>
    public bool NewHeads { get; }

    /// <summary>The temperature every score is divided by (FlagEmbedding's <c>temperature</c>, 0.02).</summary>
    public float Temperature { get; }

    /// <summary>Whether the sparse and ColBERT outputs train too (unified_finetuning); false: the dense term only.</summary>
    public bool Unified { get; }

    /// <summary>Whether the self-distillation terms are added (use_self_distill).</summary>
    public bool UseSelfDistill { get; }

    /// <summary>Self-distillation runs once <see cref="Step"/> exceeds this (self_distill_start_step, −1: from the first batch).</summary>
    public long SelfDistillStartStep { get; }

    /// <summary>With a teacher's scores: kd_loss_type m3_kd_loss (true) or kl_div (false).</summary>
    public bool M3KdLoss { get; }

    /// <summary>Longest query in tokens, specials included (query_max_len); null: the model's max_seq_length. Never above the model's.</summary>
    public int? QueryMaxLength { get; init; }

    /// <summary>Longest passage in tokens, specials included (passage_max_len); null: the model's max_seq_length. Never above the model's.</summary>
    public int? PassageMaxLength { get; init; }

    /// <summary>
    /// GradCache (<c>loss.cached: true</c>, rows per chunk <c>loss.mini_batch_size</c>; FlagEmbedding's
    /// <c>sub_batch_size</c> chunks its forward the same way): every column is first run in chunks of this many rows without
    /// recording, the three outputs of every text kept (dense embedding, sparse_linear logits, ColBERT vectors); the loss and
    /// its gradients with respect to them are the whole batch's, then each chunk runs again recorded and back-propagates
    /// its share. Null (the default): every column in one recorded pass.
    /// </summary>
    public int? MiniBatchSize
    {
        get => miniBatchSize;
        init => miniBatchSize = value is null or >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(value), "mini_batch_size must be at least 1");
    }

    private readonly int? miniBatchSize;

    /// <summary>Batches this loss has seen before the next one (the trainer sets it from its count of batches, so a resumed run goes on counting).</summary>
    public long Step { get; set; }

    /// <summary>The heads: sparse_linear's weight and bias, colbert_linear's weight and bias (none without <see cref="Unified"/>).</summary>
    public IReadOnlyList<Parameter> Parameters => parameters;

    /// <summary>The last batch's terms by name (dense, sparse, colbert, ensemble, and the *_distill terms when they ran).</summary>
    public IReadOnlyDictionary<string, double> LastTerms => terms;

    /// <inheritdoc />
    public float ComputeAndBackward(ITrainableModel model, TrainingBatch batch, float gradientScale = 1f)
    {
        var encoder = EmbeddingLoss.AsEncoder(model);
        EmbeddingLoss.CheckBatch(batch);
        if (batch.Columns.Count < 2) throw new ArgumentException("bge_m3 needs a query column and at least one passage column", nameof(batch));
        int b = batch.Count, k = batch.Columns.Count - 1;
        double[]? teacher = null;
        if (batch.Labels is { } labels)
        {
            if (labels.Count != k * b) throw new ArgumentException($"{labels.Count} teacher scores for {b} rows of {k} passages", nameof(batch));
            teacher = BgeM3Objective.Targets(labels, b);
        }
        var inputs = new ModelInputs[k + 1];
        for (int c = 0; c <= k; c++)
        {
            int length = Math.Min(encoder.MaxSeqLength, (c == 0 ? QueryMaxLength : PassageMaxLength) ?? int.MaxValue);
            inputs[c] = encoder.Model.Prepare(batch.Columns[c], new EncodeOptions { MaxLength = length, Prompt = "" });
        }
        var cache = MiniBatchSize is int size ? new GradCache(encoder.Random, k + 1, b, size) : null;
        EncoderPass? pass = null;
        try
        {
            BgeM3Column[] columns;
            if (cache is null)
            {
                var recorded = pass = encoder.BeginPass(record: true);
                columns = [.. inputs.Select(x => BgeM3Column.Forward(recorded, x, Unified ? heads : null, unused))];
            }
            else
            {
                columns = FirstPass(encoder, cache, inputs);
            }
            float value = Objective(encoder, batch, pass, columns, teacher, gradientScale, out var embeddingGradients);
            cache?.Replay((c, chunk) =>
            {
                var (start, count) = cache.Chunk(chunk);
                using var again = encoder.BeginPass(record: true);
                var part = BgeM3Column.Forward(again, inputs[c].Slice(start, count), Unified ? heads : null, unused, read: false);
                part.SeedFrom(again, columns[c], start, gradientScale);
                again.Backward([embeddingGradients[c].SliceRows(start, count)], gradientScale);
            });
            return value;
        }
        finally
        {
            pass?.Dispose();
        }
    }

    // GradCache's first pass: every column in chunks of MiniBatchSize rows without recording, each column's chunks joined.
    private BgeM3Column[] FirstPass(TrainableEncoder encoder, GradCache cache, ModelInputs[] inputs)
    {
        var chunks = new BgeM3Column[inputs.Length, cache.Chunks];
        using (var first = encoder.BeginPass(record: false))
        {
            cache.Embed((c, chunk) =>
            {
                var (start, count) = cache.Chunk(chunk);
                chunks[c, chunk] = BgeM3Column.Forward(first, inputs[c].Slice(start, count), Unified ? heads : null, unused);
            });
        }
        return [.. Enumerable.Range(0, inputs.Length).Select(c => BgeM3Column.Concat([.. Enumerable.Range(0, cache.Chunks).Select(chunk => chunks[c, chunk])]))];
    }

    // The loss over the batch's columns and its gradients: the embeddings' returned, the heads' outputs' gathered in the
    // columns and, on the recorded pass of an uncached step, seeded and back-propagated with the embeddings'.
    private float Objective(TrainableEncoder encoder, TrainingBatch batch, EncoderPass? pass, BgeM3Column[] columns, double[]? teacher,
        float gradientScale, out EmbeddingBatch[] embeddingGradients)
    {
        int b = batch.Count, k = columns.Length - 1, m = k * b;
        var dense = new double[b * m];
        var sparse = new double[b * m];
        var colbert = new double[b * m];
        double inverse = 1.0 / Temperature;
        var passages = new List<(BgeM3Column Column, int Index, int Row)>(m); // candidate j: column Index's row Row
        for (int c = 1; c <= k; c++)
        {
            for (int r = 0; r < b; r++) passages.Add((columns[c], c, r));
        }
        var queries = columns[0];
        bool own = batch.NoInBatchNegatives; // row i is scored against candidates j with j mod b = i only
        int longest = passages.Max(p => p.Column.Lengths[p.Row]);
        var padded = Unified ? passages.Select(p => p.Column.PaddedVectors(p.Row, longest)).ToArray() : [];
        for (int i = 0; i < b; i++)
        {
            var q = queries.Embeddings.Row(i);
            for (int j = 0; j < m; j++)
            {
                if (own && j % b != i) continue; // not seen: no score, no gradient
                var (column, _, row) = passages[j];
                dense[i * m + j] = Dot(q, column.Embeddings.Row(row)) * inverse;
                if (!Unified) continue;
                sparse[i * m + j] = LexicalWeights.Score(queries.Lexical[i], column.Lexical[row]) * inverse;
                colbert[i * m + j] = MaxSim.Score(queries.Vectors(i), padded[j], queries.Dim) / (double)queries.VectorCount(i) * inverse;
            }
        }
        var dDense = new double[b * m];
        var dSparse = new double[b * m];
        var dColbert = new double[b * m];
        terms.Clear();
        var comm = encoder.Communicator;
        bool across = comm.Size > 1 && !own; // negatives_cross_device: the dense term over every rank's passages
        bool distill = Unified && UseSelfDistill && Step > SelfDistillStartStep;
        double loss;
        if (Unified)
        {
            loss = BgeM3Objective.Compute(b, m, dense, sparse, colbert, distill, teacher, M3KdLoss,
                dDense, dSparse, dColbert, terms, own, denseAcrossRanks: across);
        }
        else if (across)
        {
            loss = terms["dense"] = BgeM3Objective.LocalDensePart(b, m, dense, teacher, M3KdLoss, dDense);
        }
        else
        {
            // unified_finetuning false: the dense term alone, as the base model's loss
            loss = DenseOnly(b, m, dense, teacher, dDense, own);
        }
        if (comm.Size > 1)
        {
            // the rank's own terms count 1/world_size in the mean over ranks (the summed gradients are that mean's)
            double share = 1.0 / comm.Size;
            for (int i = 0; i < dDense.Length; i++)
            {
                dDense[i] *= share;
                dSparse[i] *= share;
                dColbert[i] *= share;
            }
        }
        // d(scores) → d(outputs): the temperature, then each output's own backward
        embeddingGradients = [.. columns.Select(c => new EmbeddingBatch(c.Embeddings.Rows, c.Embeddings.Dim))];
        var paddedGradients = Unified ? padded.Select(p => new float[p.Length]).ToArray() : [];
        var queryVectorGradients = Unified ? Enumerable.Range(0, b).Select(i => new float[queries.Vectors(i).Length]).ToArray() : [];
        for (int i = 0; i < b; i++)
        {
            var q = queries.Embeddings.Row(i);
            var dq = embeddingGradients[0].Row(i);
            for (int j = 0; j < m; j++)
            {
                var (column, c, row) = passages[j];
                float gd = (float)(dDense[i * m + j] * inverse);
                if (gd != 0f)
                {
                    System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(column.Embeddings.Row(row), gd, dq, dq);
                    var dp = embeddingGradients[c].Row(row);
                    System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(q, gd, dp, dp);
                }
                if (!Unified) continue;
                double gs = dSparse[i * m + j] * inverse;
                if (gs != 0) LexicalWeights.Backward(queries.Lexical[i], column.Lexical[row], gs, queries.LogitGradients(i), column.LogitGradients(row));
                float gc = (float)(dColbert[i * m + j] * inverse);
                if (gc != 0f)
                    MaxSim.Backward(queries.Vectors(i), padded[j], queries.Dim, 1f / queries.VectorCount(i), gc, queryVectorGradients[i], paddedGradients[j]);
            }
        }
        if (Unified)
        {
            for (int i = 0; i < b; i++) queries.AddVectorGradient(i, queryVectorGradients[i]);
            for (int j = 0; j < m; j++) passages[j].Column.AddVectorGradient(passages[j].Row, paddedGradients[j]);
            if (pass is not null)
            {
                foreach (var column in columns) column.Seed(pass, gradientScale);
            }
        }
        if (across) loss += DenseAcross(comm, columns, batch.Labels, distill, embeddingGradients);
        pass?.Backward(embeddingGradients, gradientScale);
        if (comm.Size == 1) return (float)loss;
        Span<double> mean = [loss]; // the step's loss: the mean over ranks of each rank's loss
        comm.AllReduceSum(mean);
        return (float)(mean[0] / comm.Size);
    }

    // The dense term's cross-device part, at its weight in the loss: its value, and its gradients (this rank's rows,
    // counted once: every rank computes the same part) added into the columns' embedding gradients.
    private double DenseAcross(Skald.Distributed.ICommunicator comm, BgeM3Column[] columns, IReadOnlyList<float>? labels, bool distill,
        EmbeddingBatch[] embeddingGradients)
    {
        var local = columns.Select(c => c.Embeddings).ToArray();
        var gradients = local.Select(e => new EmbeddingBatch(e.Rows, e.Dim)).ToArray();
        double part = AcrossRanks.Compute(new BgeM3DenseAcrossRanks(Temperature, M3KdLoss), comm, local, labels, gradients);
        terms["dense"] += part;
        // the dense term's weight: (dense + ...) / 4, halved again with self-distillation; alone without unified_finetuning
        float weight = !Unified ? 1f : distill ? 0.125f : 0.25f;
        for (int c = 0; c < gradients.Length; c++)
            System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(gradients[c].Data, weight, embeddingGradients[c].Data, embeddingGradients[c].Data);
        return weight * part;
    }

    /// <summary>a · b, accumulated in double.</summary>
    internal static double Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += (double)a[i] * b[i];
        return s;
    }

    // The dense term of a run without unified_finetuning (the base model's loss): the objective's L(dense) alone.
    private double DenseOnly(int b, int m, double[] dense, double[]? teacher, double[] dDense, bool own)
    {
        var zero = new double[b * m];
        var scratch = new double[b * m];
        var scratch2 = new double[b * m];
        BgeM3Objective.Compute(b, m, dense, zero, zero, false, teacher, M3KdLoss, dDense, scratch, scratch2, terms, own);
        double value = terms["dense"];
        // Compute's gradient is the unified one's ((dense + ensemble) / 4 with a zero sparse and ColBERT score): the
        // dense term alone is half of it.
        for (int i = 0; i < dDense.Length; i++) dDense[i] *= 2;
        terms.Remove("sparse");
        terms.Remove("colbert");
        terms.Remove("ensemble");
        return value;
    }
}
