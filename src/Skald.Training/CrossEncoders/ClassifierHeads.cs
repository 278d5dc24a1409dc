using Skald.Models;
using Skald.Models.Architectures;
using Skald.Models.Checkpoints;
using Skald.Models.CrossEncoders;
using Skald.Retrieval.Data;
using Skald.Training.Modeling;
using Skald.Tokenizers.Serialization;

namespace Skald.Training.CrossEncoders;

/// <summary>
/// The classification head a cross-encoder trains with, built over a <see cref="TrainableEncoder"/>'s transformer as
/// transformers' <c>*ForSequenceClassification.from_pretrained</c> builds it: every head tensor the source folder holds
/// is read (a cross-encoder's whole head; a BERT checkpoint's pooler), the others are new
/// (<see cref="SequenceClassificationHead.Initializer"/>). One label: a reranker; more: a classifier of pairs.
/// </summary>
public static class ClassifierHeads
{
    /// <summary>
    /// The head over <paramref name="model"/> (new values drawn from <paramref name="seed"/>) with
    /// <paramref name="numLabels"/> outputs (null: as many as the folder's classifier has), and the source's settings.
    /// </summary>
    public static (SequenceClassificationHead Head, CrossEncoderConfig Settings) For(TrainableEncoder model, ulong seed, int? numLabels = 1)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.Source.IsStatic) throw new ArgumentException($"{model.Source.Path}: a static model has no transformer for a cross-encoder");
        if (numLabels is < 1) throw new ArgumentOutOfRangeException(nameof(numLabels), "a classifier has at least one label");
        var config = model.Config;
        SequenceClassificationHead.LayoutFor(config); // other architectures: one line naming model_type
        string configPath = Path.Combine(model.Source.TransformerPath, "config.json");
        using var checkpoint = Checkpoint.OpenFolder(model.Source.TransformerPath, [.. ArchitectureRegistry.KeyPrefixes(config)]);
        int? stored = SequenceClassificationHead.LabelsIn(config, checkpoint);
        int labels = numLabels ?? stored
            ?? throw new ArgumentException($"{model.Source.Path} has no classifier to take the number of labels from; set loss.num_labels");
        if (stored is int s && s != labels)
            throw new ModelFormatException($"{checkpoint.Description}: its classifier ({SequenceClassificationHead.OutputKey(SequenceClassificationHead.LayoutFor(config))}) " +
                $"has {Counted.Of(s, "label")}, and this loss trains {labels}" +
                (labels == 1 ? " (a classifier with more labels cannot be trained as a reranker)" : ""));
        var settings = CrossEncoderConfig.Read(configPath, labels);
        return (SequenceClassificationHead.FromCheckpoint(config, checkpoint, labels, settings.Pooling, seed, out _), settings);
    }
}
