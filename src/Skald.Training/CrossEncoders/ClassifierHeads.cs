using Skald.Models;
using Skald.Models.Architectures;
using Skald.Models.Checkpoints;
using Skald.Models.CrossEncoders;
using Skald.Tensors;
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
        var init = SequenceClassificationHead.Initializer(config, new SkaldRandom(seed));
        using var checkpoint = Checkpoint.OpenFolder(model.Source.TransformerPath, [.. ArchitectureRegistry.KeyPrefixes(config)]);
        var builder = ParameterBuilder.FromInitializer((key, values) =>
        {
            if (!checkpoint.Contains(key))
            {
                init(key, values);
                return;
            }
            var shape = checkpoint.Shape(key);
            if (shape.Aggregate(1L, (a, d) => a * d) != values.Length)
                throw new ModelFormatException(
                    $"{checkpoint.Description}: {key} has shape [{string.Join(", ", shape)}]; a one-label (reranker) head needs {values.Length} values " +
                    "(a classifier with more labels cannot be trained as a reranker)");
            checkpoint.ReadInto(key, values, shape);
        });
        return (new SequenceClassificationHead(config, builder, 1, settings.Pooling), settings);
    }
}
