using Skald.Models.LateInteraction;
using Skald.Tokenizers;
using Skald.Training.Modeling;

namespace Skald.Training.Evaluation;

/// <summary>
/// A ColBERT being trained as the shared evaluation core's <see cref="IMultiVectorEncoder"/>: its token vectors with the
/// current weights, inference-mode (no dropout, nothing recorded), as <see cref="ColbertEncoder"/> gives them from a
/// saved folder: the inputs of <see cref="ColbertInputs"/>, a query's every kept token and a document's attended,
/// non-skiplist ones, each L2-normalised, the folder's default prompt (<c>default_prompt_name</c>) before every text as
/// PyLate's <c>encode</c>, which its evaluators call, puts it (the loss's batches do not take it: the collator writes
/// only the training prompts). <see cref="Skald.Retrieval.Search.LateInteractionRetriever"/> searches with it
/// (<see cref="RetrievalEvaluator"/>) and <see cref="TripletEvaluator"/> scores with it.
/// </summary>
public sealed class TrainingColbertEncoder : IMultiVectorEncoder
{
    private readonly TrainableEncoder model;
    private readonly ColbertInputs inputs;

    /// <summary>The token vectors of <paramref name="model"/>, a late-interaction model (<see cref="Skald.Models.SentenceEncoder.LateInteraction"/>).</summary>
    public TrainingColbertEncoder(TrainableEncoder model)
    {
        this.model = model ?? throw new ArgumentNullException(nameof(model));
        inputs = model.Model.LateInteraction ?? throw new ArgumentException($"{model.Source.Path} is not a late-interaction model", nameof(model));
        prompt = model.Source.DefaultPromptName is { } name ? model.Source.Prompts[name] : null;
    }

    private readonly string? prompt;

    /// <inheritdoc />
    public string Source => model.Source.Path;

    /// <inheritdoc />
    public string Kind => "colbert";

    /// <inheritdoc />
    public int Dimension => model.Dimension;

    /// <inheritdoc />
    public Tokenizer Tokenizer => inputs.Tokenizer;

    /// <inheritdoc />
    public int DocumentTokens => inputs.Settings.DocumentLength;

    /// <inheritdoc />
    public TokenVectors[] EncodeQueries(IReadOnlyList<string> texts, int batchSize = 32, CancellationToken cancellationToken = default) =>
        Encode(texts, true, batchSize, cancellationToken);

    /// <inheritdoc />
    public TokenVectors[] EncodeDocuments(IReadOnlyList<string> texts, int batchSize = 32, CancellationToken cancellationToken = default) =>
        Encode(texts, false, batchSize, cancellationToken);

    private TokenVectors[] Encode(IReadOnlyList<string> texts, bool isQuery, int batchSize, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(texts);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var rows = inputs.Tokenize(texts, isQuery, prompt);
        var order = Enumerable.Range(0, texts.Count).OrderByDescending(i => rows[i].Ids.Length).ToArray();
        var result = new TokenVectors[texts.Count];
        int dim = Dimension;
        using var pass = model.BeginPass(record: false, dropout: false);
        for (int start = 0; start < order.Length; start += batchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var chunk = order.AsSpan(start, Math.Min(batchSize, order.Length - start)).ToArray();
            var tokens = inputs.Batch([.. chunk.Select(i => rows[i])]);
            var y = pass.ForwardTokens(tokens); // every row L2-normalised
            for (int b = 0; b < chunk.Length; b++)
            {
                var row = rows[chunk[b]];
                var kept = Enumerable.Range(0, row.Ids.Length).Where(t => inputs.Keeps(row.Ids[t], row.Mask[t], isQuery)).ToArray();
                var values = new float[kept.Length * dim];
                for (int k = 0; k < kept.Length; k++) y.Row(b * tokens.Seq + kept[k]).CopyTo(values.AsSpan(k * dim, dim));
                result[chunk[b]] = new TokenVectors(values, [.. kept.Select(t => row.Ids[t])], dim);
            }
        }
        return result;
    }
}
