using Skald.Models.Adapters;
using Skald.Models.Checkpoints;
using Skald.Tensors;
using Skald.Tensors.Autograd;

namespace Skald.Training.Modeling;

// TrainableEncoder, continued: saving the trained model (a sentence-transformers folder, a peft adapter folder, merged
// weights, a cross-encoder or a ColBERT folder).
public sealed partial class TrainableEncoder
{
    /// <summary>
    /// Saves the model (<see cref="ITrainableModel.Save"/>); with LoRA the adapter folder peft loads
    /// (adapter_config.json, adapter_model.safetensors, the card as README.md; for a ColBERT, PyLate's folder with the
    /// adapter in place of the transformer's weights, its Dense modules whole), or with <see cref="SaveMerged"/> the model
    /// with the adapters merged in (they are detached). Merged weights are written in float32: on a 16-bit base
    /// (bfloat16/float16) W + scale·B·A is computed in float32 from the widened W and written unrounded (a small update
    /// would partly vanish in a 16-bit rounding); the weights in memory are then merged and rounded back to 16 bits. An
    /// LLM2Vec model's <see cref="QueryInstruction"/> is saved with it, merged or adapter, as its query prompt
    /// (<see cref="Output.ModelSaver.WriteLlm2VecConfig"/>).
    /// </summary>
    public void Save(string folder, string? modelCard = null, IReadOnlyList<Parameter>? head = null)
    {
        if (Classifier is { } classifier)
        {
            if (Lora is null || SaveMerged)
            {
                CrossEncoders.CrossEncoderSaver.Save(Model, classifier, folder, modelCard); // adapters merged into the written copies
                return;
            }
            // peft's SEQ_CLS adapter: the adapters under the classifier's module paths, the head whole (modules_to_save).
            CrossEncoders.CrossEncoderSaver.SaveAdapter(Model, classifier, Lora, folder, modelCard);
            return;
        }
        if (Lora is null || SaveMerged)
        {
            bool narrow = Model.WeightPrecision != WeightPrecision.Float32;
            if (Lora is not null && !narrow) PeftAdapters.MergeAttached(Model.Parameters); // in place, no copy of the weights
            Output.ModelSaver.Save(Model, folder, modelCard, head, QueryInstruction); // merges still-attached adapters into float32 copies
            if (Lora is not null)
            {
                if (narrow) PeftAdapters.MergeAttached(Model.Parameters);
                Lora = null;
                trainable = null;
            }
            return;
        }
        if (head is { Count: > 0 }) throw new InvalidOperationException("a loss head cannot be saved with a LoRA adapter");
        if (Model.LateInteraction is not null)
        {
            // A ColBERT's Dense trains whole: the PyLate folder with the adapter in its Transformer module.
            Output.ColbertFolderWriter.SaveWithAdapter(Model, Lora, folder, modelCard);
            return;
        }
        // the adapter, an LLM2Vec model's llm2vec_config.json and query instruction, and the card staged together and renamed into place
        var lora = Lora;
        StagingPaths.ReplaceFolder(folder, tmp =>
        {
            PeftAdapters.WriteInto(tmp, folder, Model.Parameters, lora);
            Output.ModelSaver.WriteLlm2VecConfig(Model, tmp, QueryInstruction);
            if (modelCard is not null) File.WriteAllText(Path.Combine(tmp, "README.md"), modelCard);
        });
    }
}
