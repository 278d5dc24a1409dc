using Skald.Distributed;
using Skald.Hub;
using Skald.Models;
using Skald.Models.LateInteraction;
using Skald.Models.Modules;
using Skald.Tensors;
using Skald.Training.Config;
using Skald.Training.Data;
using Skald.Training.Losses;

namespace Skald.Training.Trainer;

/// <summary>
/// What the ColBERT losses (<c>loss.type: colbert_contrastive / colbert_distillation</c>) and <c>model.type: colbert</c>
/// make of the model: a PyLate folder loaded for training, or an encoder made a ColBERT as PyLate makes one, and the
/// refusal of what is not there yet for it (labelled eval pairs), one line.
/// </summary>
internal static class ColbertSetup
{
    /// <summary>
    /// The student when <paramref name="modelPath"/> is a PyLate ColBERT folder or a Stanford ColBERT checkpoint (with the
    /// config's model keys over its own settings); null for any other folder, which the ordinary loader reads.
    /// </summary>
    public static SentenceEncoder? Load(TrainingConfig config, string modelPath, WeightPrecision precision)
    {
        string local = Local(modelPath);
        if (!ColbertEncoder.IsColbert(local)) return null;
        modelPath = local;
        if (!ColbertLoss.IsColbert(config.Loss.Type))
            throw new TrainingException($"{config.Model.Path}: a ColBERT (PyLate) model, one vector per token; it trains with loss.type colbert_contrastive or colbert_distillation, not {config.Loss.Type}");
        ColbertSettings? settings = null;
        try
        {
            // A Stanford checkpoint's own settings are its artifact.metadata's, as PyLate reads them (the config's keys over them).
            settings = config.Model.Colbert is { } keys
                ? keys.Apply(StanfordColbert.IsStanford(modelPath) ? StanfordColbert.ReadSettings(modelPath) : ColbertSettings.Read(modelPath))
                : null;
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

    /// <summary>
    /// The folder to load for <c>model.type: colbert</c> from an encoder whose tokenizer lacks the prefix tokens: the
    /// encoder with them added as PyLate adds them (<see cref="PrefixTokens"/>), written by rank 0 into
    /// <c>output.dir/colbert-base</c>; <paramref name="modelPath"/> itself otherwise (a PyLate folder, prefixes the
    /// vocabulary has, adapters, or a folder the loader will refuse and name).
    /// </summary>
    public static string WithPrefixTokens(TrainingConfig config, string modelPath, ICommunicator comm, Action<string>? log)
    {
        if (config.Model.Type != "colbert" || config.Model.Adapters.Count > 0) return modelPath;
        string local = Local(modelPath);
        if (ColbertEncoder.IsColbert(local)) return modelPath;
        IReadOnlyList<string> missing;
        try
        {
            var folder = ModelFolder.Read(local);
            if (folder.IsStatic || File.Exists(Path.Combine(local, "adapter_config.json"))) return modelPath;
            missing = PrefixTokens.Missing(folder.LoadTokenizer(), (config.Model.Colbert ?? new ColbertModelKeys()).Apply(new ColbertSettings()));
        }
        catch (Exception e) when (e is ModelFormatException or Skald.Tokenizers.TokenizerException or IOException)
        {
            return modelPath; // the loader names what is wrong
        }
        if (missing.Count == 0) return modelPath;
        string target = Path.Combine(config.Output.Dir, "colbert-base");
        if (comm.Rank == 0)
        {
            try
            {
                var added = PrefixTokens.WriteBase(local, target, missing, config.Training.Seed);
                log?.Invoke($"model.type colbert: added {string.Join(", ", added.Select(a => $"\"{a.Content}\" (id {a.Id})"))} to {config.Model.Path}'s tokenizer " +
                    $"and embedding table, as PyLate does: {target}");
            }
            catch (ModelFormatException e)
            {
                throw new TrainingException($"model.type colbert: {config.Model.Path}: {e.Message}", e);
            }
        }
        comm.Barrier();
        return target;
    }

    // The local folder of a model path or hub id: HubResolver.Locate, whose HubException (no such repository, no
    // network) is the one line the ordinary loader would give, thrown once here rather than retried there.
    private static string Local(string modelPath) => HubResolver.Locate(modelPath);

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
                throw new TrainingException($"model.type colbert: {config.Model.Path}: {e.Message}", e);
            }
        }
        if (!colbertLoss) return encoder;
        if (encoder.LateInteraction is null)
            throw new TrainingException($"{config.Model.Path}: loss.type {config.Loss.Type} trains a ColBERT (one vector per token); set model.type: colbert " +
                "to make one of this encoder (a Dense projection added, as PyLate does), or start from a PyLate folder");
        if (eval is not null && Evaluation.LabelledPairsEvaluator.FromDataset(eval) is not null)
            throw new TrainingException($"data.eval: labelled pairs are scored by one vector a text, not by a ColBERT's tokens; give a ColBERT (query, positive[, negative]) eval rows");
        return encoder;
    }
}
