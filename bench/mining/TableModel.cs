using Skald.Models.Modules;
using Skald.Retrieval.Models;

namespace Skald.Bench.Mining;

/// <summary>An embedding model whose vectors are looked up by text (unit vectors, a cosine model).</summary>
internal sealed class TableModel(Dictionary<string, float[]> vectors) : IEmbeddingModel
{
    public string Name => "table";
    public IReadOnlyDictionary<string, string> Metadata { get; } = new Dictionary<string, string>();
    public int Dimension => vectors.Values.First().Length;
    public SimilarityFunction Similarity => SimilarityFunction.Cosine;
    public float[][] Embed(IReadOnlyList<string> texts, TextRole role) => [.. texts.Select(t => vectors[t])];
    public IReadOnlyList<string> SplitToFit(string text, TextRole role) => [text];
}
