using Skald.Models;
using Skald.Models.Architectures;
using Skald.Models.Checkpoints;
using Skald.Models.CrossEncoders;
using Skald.Training.Modeling;

namespace Skald.Training.CrossEncoders;

/// <summary>
/// The classification head a cross-encoder trains with, built over a <see cref="TrainableEncoder"/>'s transformer as
/// transformers' <c>*ForSequenceClassification.from_pretrained</c> builds it: every head tensor the source folder holds
/// is read (a cross-encoder's whole head; a BERT checkpoint's pooler), the others are new
/// (<see cref="SequenceClassificationHead.Initializer"/>). One label: a reranker.
/// </summary>
public static class ClassifierHeads
{
    /// <summary>The head over <paramref name="model"/> (new values drawn from <paramref name="seed"/>) and the source's settings.</summary>
    public static (SequenceClassificationHead Head, CrossEncoderConfig Settings) For(TrainableEncoder model, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.Source.IsStatic) throw new ArgumentException($"{model.Source.Path}: a static model has no transformer for a cross-encoder");
        var config = model.Config;
        SequenceClassificationHead.LayoutFor(config); // other architectures: one line naming model_type
        string configPath = Path.Combine(model.Source.TransformerPath, "config.json");
        var settings = CrossEncoderConfig.Read(configPath, 1);
        using var checkpoint = Checkpoint.OpenFolder(model.Source.TransformerPath, [.. ArchitectureRegistry.KeyPrefixes(config)]);
        try
        {
            return (SequenceClassificationHead.FromCheckpoint(config, checkpoint, 1, settings.Pooling, seed, out _), settings);
        }
        catch (ModelFormatException e)
        {
            throw new ModelFormatException(e.Message + " (a classifier with more labels cannot be trained as a reranker)", e);
        }
    }
}
