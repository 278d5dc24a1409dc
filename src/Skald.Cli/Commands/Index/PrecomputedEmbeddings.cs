using Skald.Models.Modules;
using Skald.Retrieval.Data;
using Skald.Retrieval.Models;
using Skald.Tokenizers.Serialization;

namespace Skald.Cli.Commands.Index;

/// <summary>
/// The embedding model of <c>skald index build</c> under mpirun, on rank 0: every rank embedded its shard of the
/// records and the vectors were gathered (<see cref="Skald.Distributed.RowGather"/>); the index builder asks for the
/// records' texts in order, and gets the gathered vectors back in that order (each text is checked against the one
/// embedded for its row). Name, dimension, similarity and splitting are the real model's.
/// </summary>
internal sealed class PrecomputedEmbeddings(IEmbeddingModel model, IReadOnlyList<string> texts, float[][] vectors) : IEmbeddingModel
{
    private readonly PrecomputedDocuments<float[]> documents = new(texts, vectors);

    /// <inheritdoc />
    public string Name => model.Name;

    /// <inheritdoc />
    public IReadOnlyDictionary<string, string> Metadata => model.Metadata;

    /// <inheritdoc />
    public int Dimension => model.Dimension;

    /// <inheritdoc />
    public SimilarityFunction Similarity => model.Similarity;

    /// <inheritdoc />
    public float[][] Embed(IReadOnlyList<string> batch, TextRole role) => role == TextRole.Document ? documents.Next(batch)
        : throw new InvalidOperationException($"the index builder asked for {Counted.Of(batch.Count, role + " text")} of embedded documents");

    /// <inheritdoc />
    public IReadOnlyList<string> SplitToFit(string text, TextRole role) => model.SplitToFit(text, role);
}
