using Skald.Tokenizers;

namespace Skald.Models.LateInteraction;

/// <summary>
/// A model that turns a text into one vector per token (<see cref="TokenVectors"/>), scored by MaxSim: what a search
/// index of token vectors needs of it (<c>Skald.Retrieval.Models.MultiVectorEmbeddingModel</c> wraps one for
/// <c>IndexBuilder</c> and <c>TextIndex</c>). <see cref="ColbertEncoder"/> is one; another multi-vector encoder plugs
/// into the index by implementing it under its own <see cref="Kind"/>.
/// </summary>
public interface IMultiVectorEncoder
{
    /// <summary>The folder the model was loaded from (an index records it and its files' fingerprint).</summary>
    string Source { get; }

    /// <summary>The kind of token vectors, recorded in an index so that it is searched with a model of the same kind ("colbert").</summary>
    string Kind { get; }

    /// <summary>Width of a token vector.</summary>
    int Dimension { get; }

    /// <summary>The model's tokenizer (chunking counts a document's tokens with it).</summary>
    Tokenizer Tokenizer { get; }

    /// <summary>Most tokens a document is read with, special and prefix tokens included (longer ones are cut).</summary>
    int DocumentTokens { get; }

    /// <summary>Queries' token vectors; result i belongs to text i.</summary>
    TokenVectors[] EncodeQueries(IReadOnlyList<string> texts, int batchSize = 32, CancellationToken cancellationToken = default);

    /// <summary>Documents' token vectors; result i belongs to text i.</summary>
    TokenVectors[] EncodeDocuments(IReadOnlyList<string> texts, int batchSize = 32, CancellationToken cancellationToken = default);
}
