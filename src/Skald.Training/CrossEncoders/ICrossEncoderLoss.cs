using Skald.Models.Architectures;
using Skald.Models.CrossEncoders;
using Skald.Training.Modeling;

namespace Skald.Training.CrossEncoders;

/// <summary>
/// A loss that trains the model as a cross-encoder: it owns the classification head, the model is saved as a
/// cross-encoder folder with it (<see cref="TrainableEncoder.Classifier"/>), and evaluation scores pairs through it.
/// </summary>
public interface ICrossEncoderLoss : ILoss
{
    /// <summary>The classification head trained with the model.</summary>
    SequenceClassificationHead Head { get; }

    /// <summary>The activation the saved model applies to its logits.</summary>
    ScoreActivation Activation { get; }

    /// <summary>Logits of (query, document) pairs with the current weights, without dropout or gradients.</summary>
    float[] Logits(TrainableEncoder model, IReadOnlyList<string> queries, IReadOnlyList<string> documents);
}
