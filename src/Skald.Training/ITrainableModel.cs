using Skald.Models.Modules;
using Skald.Tensors;
using Skald.Tensors.Autograd;

namespace Skald.Training;

/// <summary>An embedding model whose parameters can be trained (the transformer and the modules after it).</summary>
public interface ITrainableModel
{
    /// <summary>The folder it was loaded from (tokenizer, configs, module chain).</summary>
    ModelFolder Source { get; }

    /// <summary>All trainable parameters, in a stable order.</summary>
    IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>Embedding width.</summary>
    int Dimension { get; }

    /// <summary>Dropout probability for hidden states and attention probabilities in training passes (0 = off).</summary>
    float Dropout { get; set; }

    /// <summary>The dropout random generator (its state is saved in checkpoints for exact resume).</summary>
    SkaldRandom Random { get; }

    /// <summary>Inference embeddings with the current weights: no dropout, no gradients, input order kept.</summary>
    float[][] Encode(IReadOnlyList<string> texts, int batchSize = 32);

    /// <summary>Sets every parameter gradient to zero.</summary>
    void ZeroGradients();

    /// <summary>
    /// Saves the model with its current weights as a sentence-transformers folder (atomically), with
    /// <paramref name="modelCard"/> as README.md and the loss's own trained parameters (<paramref name="head"/>, e.g.
    /// masked-LM's <c>cls.predictions.*</c>) beside the transformer's.
    /// </summary>
    void Save(string folder, string? modelCard = null, IReadOnlyList<Parameter>? head = null);
}
