using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Skald.Models.Modules;

namespace Skald.Training.Output;

/// <summary>
/// The parts of an embedding model's card that differ for an LLM2Vec model (a decoder run bidirectionally, with
/// <c>llm2vec_config.json</c>): its architecture, and its use through LLM2Vec's own loader and <c>encode</c>
/// (McGill-NLP/llm2vec, <c>llm2vec/llm2vec.py</c> at a145a712: <c>LLM2Vec.from_pretrained(base,
/// peft_model_name_or_path)</c> reads the folder's llm2vec_config.json, pads on the left, and takes a query as an
/// (instruction, text) pair) rather than sentence-transformers', which would load the folder as a causal model with
/// mean pooling over right padding and so give other embeddings.
/// </summary>
internal static class Llm2VecCard
{
    private static readonly JsonSerializerOptions Literal = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The card's "Full Model Architecture" block.</summary>
    public static void WriteArchitecture(StringBuilder sb, string? modelType, Llm2VecConfig c)
    {
        string skip = c.SkipInstruction ? "true" : "false";
        sb.AppendLine("```");
        sb.AppendLine("LLM2Vec(");
        sb.AppendLine($"  (model): {modelType ?? "decoder"} with bidirectional attention, padded on the left");
        sb.AppendLine($"  (pooling): {c.PoolingModeName} (skip_instruction: {skip}, max_length: {c.MaxLength}, doc_max_length: {c.DocMaxLength})");
        sb.AppendLine(")");
        sb.AppendLine("```");
    }

    /// <summary>
    /// The card's "Usage": LLM2Vec in Python and Skald, queries with <paramref name="instruction"/> (the run's
    /// <c>data.instruction</c>) when there is one. A folder holding the whole model loads alone; an adapter folder loads
    /// onto <paramref name="baseModel"/> with <paramref name="earlier"/> adapters merged into it first.
    /// </summary>
    public static void WriteUsage(StringBuilder sb, string baseModel, bool adapter, IReadOnlyList<string> earlier, string? instruction)
    {
        string query = instruction is null ? "" : JsonSerializer.Serialize(instruction, Literal);
        string basePath = Skald.Hub.HubId.IsRepoId(baseModel) ? baseModel : $"path/to/{baseModel}";
        sb.AppendLine("### Direct Usage (LLM2Vec)");
        sb.AppendLine();
        sb.AppendLine("Load it with [LLM2Vec](https://github.com/McGill-NLP/llm2vec), not sentence-transformers: it attends in both directions " +
                      "and pads on the left, as `llm2vec_config.json` says.");
        sb.AppendLine();
        sb.AppendLine("```python");
        sb.AppendLine("from llm2vec import LLM2Vec");
        sb.AppendLine();
        if (!adapter) sb.AppendLine("l2v = LLM2Vec.from_pretrained(\"path/to/this/folder\")");
        else if (earlier.Count == 0) sb.AppendLine($"l2v = LLM2Vec.from_pretrained(\"{basePath}\", peft_model_name_or_path=\"path/to/this/folder\")");
        else
        {
            sb.AppendLine($"# the base with the earlier adapters merged: skald merge --model {basePath} --adapters {string.Join(',', earlier)} --output base-merged");
            sb.AppendLine("l2v = LLM2Vec.from_pretrained(\"base-merged\", peft_model_name_or_path=\"path/to/this/folder\")");
        }
        if (instruction is null)
            sb.AppendLine("embeddings = l2v.encode([\"Hvor ligger legekontoret?\", \"Legekontoret ligger i sentrum.\"])");
        else
        {
            sb.AppendLine($"queries = l2v.encode([[{query}, \"Hvor ligger legekontoret?\"]])  # the instruction this model was trained with");
            sb.AppendLine("documents = l2v.encode([\"Legekontoret ligger i sentrum.\"])");
        }
        sb.AppendLine("```");
        sb.AppendLine();
        sb.AppendLine("### Direct Usage (Skald)");
        sb.AppendLine();
        sb.AppendLine("```csharp");
        sb.AppendLine("using var model = Skald.Models.SentenceEncoder.Load(\"path/to/this/folder\");");
        if (instruction is null)
            sb.AppendLine("float[][] embeddings = model.Encode([\"Hvor ligger legekontoret?\", \"Legekontoret ligger i sentrum.\"]);");
        else
        {
            sb.AppendLine($"float[][] queries = model.Encode([\"Hvor ligger legekontoret?\"], new Skald.Models.EncodeOptions {{ Instruction = {query} }});");
            sb.AppendLine("float[][] documents = model.Encode([\"Legekontoret ligger i sentrum.\"]);");
        }
        sb.AppendLine("```");
        if (instruction is not null)
            sb.AppendLine().AppendLine($"From the command line: `skald encode --model path/to/this/folder --instruction {query}` for queries, without it for documents. " +
                "The instruction is saved in this folder (`config_sentence_transformers.json` `prompts.query`), so `skald evaluate`, `skald benchmark`, " +
                "`skald index build` / `skald search` and `skald serve` give it to queries by themselves.");
        sb.AppendLine();
    }
}
