using Skald.Models;
using Skald.Training.Config;
using Skald.Training.Data;
using Skald.Training.Losses;

namespace Skald.Training.Trainer;

/// <summary>
/// What <c>training.prompts</c> makes of a run: per training data set, the prompt of each column, checked against the
/// data, the loss (one that embeds the batch's columns with the model) and the model (not an LLM2Vec model, which takes
/// an instruction); each failure one line naming the key.
/// </summary>
internal static class PromptSetup
{
    /// <summary>Per data set of <paramref name="train"/>, its column prompts (null: none); null when the run has no prompts.</summary>
    public static IReadOnlyList<string?[]?>? Resolve(TrainingConfig config, IReadOnlyList<TextDataset> train, ILoss loss, SentenceEncoder encoder)
    {
        if (config.Training.Prompts is not { } prompts) return null;
        var resolved = prompts.Resolve(train);
        if (resolved.All(p => p is null)) return null; // (only empty prompts: upstream writes none)
        if (!Reads(loss))
            throw new TrainingException($"{prompts.Where}: training.prompts are read by the losses that embed a batch's columns with the model " +
                "(mnrl, cached_mnrl, cosent, triplet, gist, mse, matryoshka, splade, csr, colbert_contrastive, ...), not by loss.type " + config.Loss.Type + " yet");
        if (encoder.Folder.Llm2Vec is not null)
            throw new TrainingException($"{prompts.Where}: training.prompts: an LLM2Vec model takes an instruction (data.instruction), not a prompt");
        return resolved;
    }

    private static bool Reads(ILoss loss) => loss is EmbeddingLoss or CachedLoss or MseLoss or GistEmbedLoss or AdaptiveLayerLoss or CsrLoss or ColbertLoss;
}
