using System.Text;
using System.Text.Json.Nodes;
using Skald.Models;
using Skald.Models.Checkpoints;
using Skald.Models.Modules;
using Skald.Tensors;

namespace Skald.Training.Output;

/// <summary><see cref="ModelSaver"/>'s sparse encoders: a CSR model's SparseAutoEncoder, an inference-free model's Router and query table, a SPLADE model's modules.</summary>
public static partial class ModelSaver
{
    /// <summary>
    /// A CSR model's SparseAutoEncoder folder as sentence-transformers saves it: config.json, and model.safetensors with
    /// pre_bias, latent_bias, the tied weight under the name safetensors keeps for it (<see cref="SparseAutoEncoder.StoredWeightKey"/>)
    /// and the I64 buffer stats_last_nonzero (so that training resumes with the dead latents it had).
    /// </summary>
    private static void WriteAutoEncoder(SparseAutoEncoder autoEncoder, string dir)
    {
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "config.json"), autoEncoder.Config.ToJson(), new UTF8Encoding(false));
        SafeTensorsWriter.Write(Path.Combine(dir, "model.safetensors"),
        [
            new TensorToWrite("pre_bias", autoEncoder.PreBias.Shape, Float32Values(autoEncoder.PreBias)),
            new TensorToWrite(SparseAutoEncoder.StoredWeightKey, autoEncoder.Weight.Shape, Float32Values(autoEncoder.Weight)),
            new TensorToWrite("latent_bias", autoEncoder.LatentBias.Shape, Float32Values(autoEncoder.LatentBias)),
            new TensorToWrite(SparseAutoEncoder.StatsKey, [autoEncoder.Stats.Length], (long[])autoEncoder.Stats.Clone()),
        ]);
    }

    /// <summary>
    /// An inference-free sparse encoder as sentence-transformers' Router.save lays it out: modules.json = [Router at ""],
    /// router_config.json routing "query" to <c>query_0_SparseStaticEmbedding</c> (its weight in model.safetensors,
    /// config.json with <c>frozen</c>, the tokenizer files) and "document" to <c>document_0_MLMTransformer</c> (the
    /// masked-LM checkpoint) → <c>document_1_SpladePooling</c>; config_sentence_transformers.json with model_type
    /// SparseEncoder.
    /// </summary>
    private static void WriteInferenceFree(SentenceEncoder model, SparseStaticEmbedding query, List<Parameter> parameters,
        IReadOnlyList<Parameter> head, string dir, string? modelCard)
    {
        if (model.Folder.Splade is not { } pooling) throw new InvalidOperationException("an inference-free sparse encoder has a SpladePooling document route");
        const string Document = "document_0_MLMTransformer", Pooling = "document_1_SpladePooling", Query = "query_0_SparseStaticEmbedding";
        string transformer = Path.Combine(dir, Document);
        Directory.CreateDirectory(transformer);
        WriteTransformer(model, parameters, head, transformer);
        WriteJson(Path.Combine(transformer, "sentence_bert_config.json"), SentenceBertConfig(model));
        Directory.CreateDirectory(Path.Combine(dir, Pooling));
        File.WriteAllText(Path.Combine(dir, Pooling, "config.json"), pooling.ToJson(model.Dimension), new UTF8Encoding(false));
        string queryDir = Path.Combine(dir, Query);
        Directory.CreateDirectory(queryDir);
        SafeTensorsWriter.Write(Path.Combine(queryDir, "model.safetensors"), [new TensorToWrite("weight", query.Weight.Shape, query.Weight.Data)]);
        WriteJson(Path.Combine(queryDir, "config.json"), new JsonObject { ["frozen"] = query.Frozen });
        string tokenizerSource = model.Folder.QueryStaticPath is { } q && File.Exists(Path.Combine(q, "tokenizer.json")) ? q : model.Folder.TransformerPath;
        foreach (var f in TokenizerFiles)
        {
            string src = Path.Combine(tokenizerSource, f);
            if (File.Exists(src)) File.Copy(src, Path.Combine(queryDir, f));
        }
        WriteJson(Path.Combine(dir, RouterConfig.FileName), new JsonObject
        {
            ["types"] = new JsonObject
            {
                [Query] = "sentence_transformers.sparse_encoder.models.SparseStaticEmbedding.SparseStaticEmbedding",
                [Document] = SpladeConfig.TransformerModuleType + ".MLMTransformer",
                [Pooling] = SpladeConfig.ModuleType + ".SpladePooling",
            },
            ["structure"] = new JsonObject { ["query"] = new JsonArray(Query), ["document"] = new JsonArray(Document, Pooling) },
            ["parameters"] = new JsonObject { ["default_route"] = "document", ["allow_empty_key"] = true },
        });
        WriteJson(Path.Combine(dir, "modules.json"), new JsonArray(Module(0, "", "sentence_transformers.models.Router")));
        var config = SentenceTransformersConfig(model.Folder);
        config["model_type"] = "SparseEncoder";
        WriteJson(Path.Combine(dir, "config_sentence_transformers.json"), config);
        if (modelCard is not null) File.WriteAllText(Path.Combine(dir, "README.md"), modelCard, new UTF8Encoding(false));
    }

    /// <summary>
    /// A SparseEncoder's modules: MLMTransformer in the root (written above), 1_SpladePooling/config.json, a Normalize
    /// when the source had one; config_sentence_transformers.json with model_type SparseEncoder.
    /// </summary>
    private static void WriteSparseModules(SentenceEncoder model, SpladeConfig pooling, string dir)
    {
        var modules = new JsonArray { Module(0, "", SpladeConfig.TransformerModuleType), Module(1, "1_SpladePooling", SpladeConfig.ModuleType) };
        Directory.CreateDirectory(Path.Combine(dir, "1_SpladePooling"));
        File.WriteAllText(Path.Combine(dir, "1_SpladePooling", "config.json"), pooling.ToJson(model.Dimension), new UTF8Encoding(false));
        if (model.Folder.Normalize)
        {
            Directory.CreateDirectory(Path.Combine(dir, "2_Normalize"));
            modules.Add(Module(2, "2_Normalize", "sentence_transformers.models.Normalize"));
        }
        WriteJson(Path.Combine(dir, "modules.json"), modules);
        var config = SentenceTransformersConfig(model.Folder);
        config["model_type"] = "SparseEncoder";
        WriteJson(Path.Combine(dir, "config_sentence_transformers.json"), config);
    }
}
