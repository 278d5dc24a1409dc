using Skald.Models;
using Skald.Models.LateInteraction;
using Skald.Tensors;
using Skald.Training.Config;
using Skald.Training.Data;
using Skald.Training.Losses;

namespace Skald.Training.Trainer;

/// <summary>
/// What the ColBERT losses (<c>loss.type: colbert_contrastive / colbert_distillation</c>) and <c>model.type: colbert</c>
/// make of the model: a PyLate folder loaded for training, or an encoder made a ColBERT as PyLate makes one, and the
/// refusals of what is not there yet for it, each one line.
/// </summary>
internal static class ColbertSetup
{
    /// <summary>
    /// The student when <paramref name="modelPath"/> is a PyLate ColBERT folder (with the config's model keys over its
    /// own settings); null for any other folder, which the ordinary loader reads.
    /// </summary>
    public static SentenceEncoder? Load(TrainingConfig config, string modelPath, WeightPrecision precision)
    {
        if (!ColbertEncoder.IsColbert(modelPath)) return null;
        if (!ColbertLoss.IsColbert(config.Loss.Type))
            throw new TrainingException($"{config.Model.Path}: a ColBERT (PyLate) model, one vector per token; it trains with loss.type colbert_contrastive or colbert_distillation, not {config.Loss.Type}");
        ColbertSettings? settings = null;
        try
        {
            settings = config.Model.Colbert is { } keys ? keys.Apply(ColbertSettings.Read(modelPath)) : null;
            var model = SentenceEncoder.LoadLateInteraction(modelPath, config.Model.Adapters, precision, settings, settings is null ? null : "model.");
            int width = model.Dimension;
            if (config.Model.Colbert?.EmbeddingSize is { } size && size != width)
            {
                model.Dispose();
                throw new TrainingException($"model.embedding_size: {config.Model.Path} is a ColBERT already, with {width}-wide token vectors (not {size})");
            }
            return model;
        }
        catch (ModelFormatException e)
        {
            throw new TrainingException(settings is null ? e.Message : $"{config.Model.Path}: {e.Message}", e);
        }
    }

    /// <summary><paramref name="encoder"/> as <paramref name="config"/> trains it: made a ColBERT when model.type is colbert, checked for a ColBERT loss.</summary>
    public static SentenceEncoder Apply(TrainingConfig config, SentenceEncoder encoder, TextDataset? eval)
    {
        bool colbertLoss = ColbertLoss.IsColbert(config.Loss.Type);
        if (config.Model.Type == "colbert" && encoder.LateInteraction is null)
        {
            try
            {
                encoder = encoder.AsLateInteraction((config.Model.Colbert ?? new ColbertModelKeys()).Apply(new ColbertSettings()),
                    config.Model.Colbert?.EmbeddingSize, config.Training.Seed, "model.");
            }
            catch (ModelFormatException e)
            {
                throw new TrainingException($"model.type colbert: {config.Model.Path}: {e.Message}" +
                    (e.Message.Contains("which the tokenizer does not have", StringComparison.Ordinal)
                        ? "; Skald does not add tokens to a tokenizer yet: set model.query_prefix / model.document_prefix to tokens the vocabulary has (e.g. [unused0], [unused1]) or \"\"" : ""), e);
            }
        }
        if (!colbertLoss) return encoder;
        if (encoder.LateInteraction is null)
            throw new TrainingException($"{config.Model.Path}: loss.type {config.Loss.Type} trains a ColBERT (one vector per token); set model.type: colbert " +
                "to make one of this encoder (a Dense projection added, as PyLate does), or start from a PyLate folder");
        if (config.Lora is not null)
            throw new TrainingException($"lora: LoRA on a ColBERT is not there yet; loss.type {config.Loss.Type} trains the whole model");
        if (config.Model.FreezeTransformer)
            throw new TrainingException($"model.freeze_transformer: not there yet for a ColBERT (loss.type {config.Loss.Type})");
        if (eval is not null || config.Evaluation.Retrieval is not null || config.Evaluation.Tasks.Count > 0)
            throw new TrainingException($"evaluation during training of a ColBERT is not there yet (loss.type {config.Loss.Type}): leave out data.eval / data.eval_split " +
                "and the evaluation section, and evaluate the saved folder with skald evaluate");
        return encoder;
    }
}
