using Skald.Models.Architectures;
using Skald.Tokenizers;
using Skald.Tensors;

namespace Skald.Models.Generation;

// TextGenerator, continued: loading a model folder (adapters merged, the precision of its weights) and checking the folders first.
public sealed partial class TextGenerator
{
    /// <summary>
    /// Loads the decoder and tokenizer of <paramref name="folder"/>, with the PEFT LoRA <paramref name="adapters"/>
    /// (folders, e.g. an SFT run's adapter) merged into its weights in order. <paramref name="precision"/> bfloat16 or
    /// float16 holds the weight matrices in 16 bits (computed in float32; a BF16 checkpoint, as most decoders are
    /// released, is kept exactly): half the memory, and with bfloat16 a decoding step reads half the bytes. A PEFT adapter
    /// folder as <paramref name="folder"/> loads onto the base its adapter_config.json names (<see cref="Adapters.AdapterBase.Expand"/>).
    /// </summary>
    public static TextGenerator Load(string folder, IReadOnlyList<string>? adapters = null,
        WeightPrecision precision = WeightPrecision.Float32)
    {
        CheckFolders(folder, adapters);
        (folder, adapters) = Adapters.AdapterBase.Expand(folder, adapters); // an adapter folder given as the model: its base, then it
        // Checked before the weights are read: a hub folder may carry only the slow tokenizer (tokenizer.model).
        string tok = Path.Combine(folder, "tokenizer.json");
        if (!File.Exists(tok))
            throw new ModelFormatException($"{tok}: file not found (generation needs the tokenizer; Skald reads the fast-tokenizer file, " +
                "not tokenizer.model: save it from Python with AutoTokenizer.from_pretrained(path).save_pretrained(path))");
        if (ArchitectureRegistry.Load(folder, precision) is not IDecoder decoder)
            throw new ModelFormatException($"{Path.Combine(folder, "config.json")}: model_type is not a decoder LLM, so it cannot generate");
        if (decoder.AttentionMode != AttentionMode.Causal)
            throw new ModelFormatException($"{Path.Combine(folder, "config.json")}: use_bidirectional_attention is true (an embedding model such as " +
                "EmbeddingGemma), so it cannot generate");
        try
        {
            Adapters.AdapterBase.NoteOtherBase([folder], adapters ?? []);
            foreach (var adapter in adapters ?? []) Adapters.PeftAdapters.Merge(adapter, decoder.Parameters);
            return new TextGenerator(decoder, Tokenizer.FromFolder(folder), GenerationConfig.Load(folder))
            {
                // read on the first messages input, so that a template outside the supported subset fails only runs that use it
                chatFormatter = new(() => ChatTemplateFormatter.Load(folder)),
                templateSource = folder,
            };
        }
        catch
        {
            CloseFiles(decoder); // a load that fails leaves no file open
            throw;
        }
    }

    /// <summary>
    /// Throws <see cref="ModelFormatException"/> unless <paramref name="folder"/> and every adapter are folders (what
    /// <see cref="Load"/> checks first; for callers that read the folders before loading, e.g. to fingerprint a run).
    /// </summary>
    public static void CheckFolders(string folder, IReadOnlyList<string>? adapters = null)
    {
        if (!Directory.Exists(folder)) throw new ModelFormatException(Modules.ModelFolder.NotFound(folder));
        foreach (var adapter in adapters ?? [])
        {
            if (File.Exists(adapter)) throw new ModelFormatException($"{adapter}: is a file, expected a PEFT adapter folder (adapter_config.json and adapter_model.safetensors)");
            if (!Directory.Exists(adapter)) throw new ModelFormatException($"{adapter}: adapter folder not found");
        }
    }
}
