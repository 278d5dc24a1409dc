using Skald.Models.Architectures;

namespace Skald.Models;

// SentenceEncoder, continued: EncodeTokens, sentence-transformers' encode(output_value="token_embeddings")
// (sentence_transformers/SentenceTransformer.py at 85ec64559f4414aa536eca4bf53538291e0a333f: the transformer's
// token_embeddings of each text, cut at its last real token).
public sealed partial class SentenceEncoder
{
    /// <summary>
    /// The transformer's output vector for every token of each text (prompt and special tokens included, after
    /// truncation): result[i][t] is token t of text i, <see cref="ITransformer.HiddenSize"/> values, in the order of
    /// <see cref="Tokenize"/>'s ids. This is sentence-transformers' <c>encode(output_value="token_embeddings")</c>: the
    /// vectors before pooling (and before any Dense module, which acts on the pooled embedding), never normalised;
    /// padding is never included (sentence-transformers cuts only trailing padding, so on a left-padded model its
    /// rows would start with pad positions). Texts are batched by length as <see cref="Encode(IReadOnlyList{string}, EncodeOptions?, CancellationToken)"/>
    /// batches them, with its checks and cancellation. A static (Model2Vec) model, which has no token vectors, and the
    /// query route of an inference-free sparse encoder are a <see cref="ModelFormatException"/>.
    /// </summary>
    public float[][][] EncodeTokens(IReadOnlyList<string> texts, EncodeOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(texts);
        cancellationToken.ThrowIfCancellationRequested();
        options ??= new EncodeOptions();
        if (options.BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(options), "BatchSize must be at least 1");
        if (Folder.IsStatic)
            throw new ModelFormatException($"{Folder.Path}: a static embedding model looks up one vector per text, it has no token embeddings");
        var inputs = Prepare(texts, options);
        if (inputs.Query && StaticQuery is not null)
            throw new ModelFormatException($"{Folder.Path}: the query route of this inference-free sparse encoder runs no transformer, so it has no token embeddings");
        var order = Enumerable.Range(0, texts.Count).OrderByDescending(i => inputs.Encodings[i].Ids.Length).ToArray();
        var result = new float[texts.Count][][];
        int c = Transformer.HiddenSize;
        for (int start = 0; start < order.Length; start += options.BatchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int b = Math.Min(options.BatchSize, order.Length - start);
            var rows = order.AsSpan(start, b).ToArray();
            var tokens = TokenBatch.Pad(inputs.Select(rows).Encodings, PadId, PaddingSide);
            using (gate.Enter())
            {
                using (inference.Pass(cancellationToken))
                {
                    var hidden = TransformerForward(inference, tokens).Span; // [B·T, C], padding rows 0
                    for (int i = 0; i < b; i++)
                    {
                        var vectors = new List<float[]>(tokens.Seq);
                        for (int t = 0; t < tokens.Seq; t++)
                        {
                            int row = i * tokens.Seq + t;
                            if (tokens.Mask[row] == 0) continue;
                            var v = hidden.Slice(row * c, c);
                            if (!AllFinite(v))
                                throw new ModelFormatException(
                                    $"{Folder.Path}: the model gives a non-finite token embedding (NaN or infinity) for text {rows[i] + 1}; its weights or config.json are broken");
                            vectors.Add(v.ToArray());
                        }
                        result[rows[i]] = [.. vectors];
                    }
                }
            }
            options.Progress?.Invoke(start + b, order.Length);
        }
        return result;
    }
}
