using Skald.Models;
using Skald.Models.Modules;
using Skald.Tensors;

namespace Skald.Training.Tests.Evaluation;

/// <summary>
/// An <see cref="ITrainableModel"/> whose inference encode is <c>SentenceEncoder.Encode</c> (what
/// <c>skald evaluate</c> embeds with), so both evaluation paths see bit-identical vectors and any difference in the
/// numbers comes from the evaluation code. Nothing here trains.
/// </summary>
internal sealed class EncoderBackedModel(SentenceEncoder encoder) : ITrainableModel
{
    public ModelFolder Source => encoder.Folder;

    public IReadOnlyList<Parameter> Parameters => [];

    public int Dimension => encoder.Dimension;

    public float Dropout { get; set; }

    public SkaldRandom Random { get; } = new(1);

    public int EncodeCalls { get; private set; }

    public float[][] Encode(IReadOnlyList<string> texts, int batchSize = 32)
    {
        EncodeCalls++;
        return encoder.Encode(texts, new EncodeOptions { BatchSize = batchSize });
    }

    public void ZeroGradients()
    {
    }

    public void Save(string folder, string? modelCard = null, IReadOnlyList<Parameter>? head = null) =>
        throw new NotSupportedException("nothing here trains");
}
