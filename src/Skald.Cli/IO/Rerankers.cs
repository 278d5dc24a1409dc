using Skald.Models.CrossEncoders;

namespace Skald.Cli.IO;

/// <summary>The one way the verbs load a reranker: a cross-encoder folder or hub id, or a causal-LM reranker.</summary>
internal static class Rerankers
{
    /// <summary>
    /// The reranker at <paramref name="pathOrId"/>: a cross-encoder with one label (with <paramref name="adapters"/>
    /// merged), or with <paramref name="causalLm"/> a causal LM answering <paramref name="prompt"/> (default
    /// Qwen3-Reranker's) with <paramref name="yes"/> or <paramref name="no"/>. A classifier with several labels is one line,
    /// unless <paramref name="anyLabels"/> (skald classify).
    /// </summary>
    public static CrossEncoder Load(string pathOrId, bool quiet, bool causalLm = false, IReadOnlyList<string>? adapters = null,
        string yes = "yes", string no = "no", PromptedPairs? prompt = null, bool anyLabels = false)
    {
        string source = HubModels.Resolve(pathOrId, quiet);
        if (!causalLm && !Directory.Exists(source)) throw new InputException(Skald.Models.Modules.ModelFolder.NotFound(source));
        var model = causalLm
            ? CrossEncoder.FromCausalLm(source, yes, no, prompt)
            : CrossEncoder.Load(source, HubModels.ResolveAll(adapters ?? [], quiet));
        if (model.NumLabels == 1 || anyLabels) return model;
        model.Dispose();
        throw new InputException(
            $"{pathOrId}: a classifier with {model.NumLabels} labels ({string.Join(", ", model.Config.Labels)}), not a reranker (one score per pair); skald classify scores its labels");
    }
}
