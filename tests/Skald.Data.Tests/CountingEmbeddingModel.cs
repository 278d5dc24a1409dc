using Skald.Models.Modules;
using Skald.Retrieval.Models;

namespace Skald.Data.Tests;

/// <summary>
/// A small embedding model of letter counts that records every text it embeds (<see cref="Texts"/>) and calls
/// <see cref="OnEmbed"/> before each batch (a test's moment to act while a writer embeds).
/// </summary>
internal sealed class CountingEmbeddingModel : IEmbeddingModel
{
    public List<string> Texts { get; } = [];

    public Action? OnEmbed { get; set; }

    public string Name => "letters";

    public IReadOnlyDictionary<string, string> Metadata { get; } = new Dictionary<string, string>();

    public int Dimension => 26;

    public SimilarityFunction Similarity => SimilarityFunction.Cosine;

    public IReadOnlyList<string> SplitToFit(string text, TextRole role) => [text];

    public float[][] Embed(IReadOnlyList<string> texts, TextRole role)
    {
        OnEmbed?.Invoke();
        Texts.AddRange(texts);
        return [.. texts.Select(t =>
        {
            var v = new float[Dimension];
            v[0] = 1;
            foreach (char c in t.ToLowerInvariant()) if (c is >= 'a' and <= 'z') v[c - 'a']++;
            return v;
        })];
    }
}
