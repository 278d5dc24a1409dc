using Skald.Models.Modules;
using Skald.Tensors;

namespace Skald.Training.Tests.Evaluation;

/// <summary>
/// An <see cref="ITrainableModel"/> that embeds each text as a table's vector of its first word, its folder's similarity
/// set to the one given (the bert-cased-mean fixture's folder otherwise, without prompts). Nothing here trains.
/// </summary>
internal sealed class VectorTableModel(IReadOnlyDictionary<string, float[]> vectors, SimilarityFunction similarity) : ITrainableModel
{
    public ModelFolder Source { get; } = ModelFolder.Read(TestPaths.FixtureModel("bert-cased-mean")) with
    {
        Similarity = similarity,
        Prompts = new Dictionary<string, string>(),
    };

    public IReadOnlyList<Parameter> Parameters => [];

    public int Dimension => vectors.First().Value.Length;

    public float Dropout { get; set; }

    public SkaldRandom Random { get; } = new(1);

    public float[][] Encode(IReadOnlyList<string> texts, int batchSize = 32) =>
        [.. texts.Select(t => (float[])vectors[t.Split(' ')[0]].Clone())];

    public void ZeroGradients()
    {
    }

    public void Save(string folder, string? modelCard = null, IReadOnlyList<Parameter>? head = null) =>
        throw new NotSupportedException("nothing here trains");
}
