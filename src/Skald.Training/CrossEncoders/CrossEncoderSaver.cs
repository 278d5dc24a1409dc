using System.Text;
using System.Text.Json.Nodes;
using Skald.Models;
using Skald.Models.Architectures;
using Skald.Models.Checkpoints;
using Skald.Models.CrossEncoders;
using Skald.Training.Output;

namespace Skald.Training.CrossEncoders;

/// <summary>
/// Writes a trained cross-encoder as sentence-transformers' CrossEncoder saves one (v4 and later), which transformers'
/// <c>AutoModelForSequenceClassification</c> and Skald's <see cref="CrossEncoder"/> load: <c>model.safetensors</c>
/// with the encoder under its class's prefix (<c>bert.</c>, <c>roberta.</c>, <c>model.</c>; BERT's pooler under
/// <c>bert.pooler</c>) and the head at the top (<c>classifier.*</c>, ModernBERT's <c>head.*</c>); config.json with
/// architectures <c>*ForSequenceClassification</c>, one label (<c>id2label</c>) and
/// <c>sentence_transformers.activation_fn</c>; the tokenizer files; the model card as README.md. No modules.json:
/// the folder is not an embedding model. Written atomically.
/// </summary>
public static class CrossEncoderSaver
{
    /// <summary>Saves <paramref name="model"/>'s transformer with <paramref name="loss"/>'s head to <paramref name="folder"/>.</summary>
    public static void Save(SentenceEncoder model, CrossEncoderLoss loss, string folder, string? modelCard = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(loss);
        StagingPaths.ReplaceFolder(folder, dir => Write(model, loss, dir, modelCard));
    }

    /// <summary>The <c>*ForSequenceClassification</c> class and the key prefix of its encoder, for a model_type.</summary>
    public static (string Architecture, string Prefix) ClassOf(string modelType) => modelType switch
    {
        "bert" => ("BertForSequenceClassification", "bert."),
        "xlm-roberta" => ("XLMRobertaForSequenceClassification", "roberta."),
        "roberta" => ("RobertaForSequenceClassification", "roberta."),
        "camembert" => ("CamembertForSequenceClassification", "roberta."),
        "modernbert" => ("ModernBertForSequenceClassification", "model."),
        "llama" => ("LlamaForSequenceClassification", "model."),
        "mistral" => ("MistralForSequenceClassification", "model."),
        "qwen2" => ("Qwen2ForSequenceClassification", "model."),
        "qwen3" => ("Qwen3ForSequenceClassification", "model."),
        "gemma" => ("GemmaForSequenceClassification", "model."),
        "gemma2" => ("Gemma2ForSequenceClassification", "model."),
        "gemma3_text" => ("Gemma3TextForSequenceClassification", "model."),
        _ => throw new ArgumentException($"no sequence-classification class for model_type \"{modelType}\""),
    };

    private static void Write(SentenceEncoder model, CrossEncoderLoss loss, string dir, string? modelCard)
    {
        var config = model.Transformer.Config;
        var (architecture, prefix) = ClassOf(config.ModelType);
        bool modern = loss.Head.Layout == SequenceClassificationHead.HeadLayout.ModernBert;
        // The head's own keys sit at the top; everything else (BERT's pooler too) belongs to the encoder.
        string Key(string name) => name.StartsWith("classifier.", StringComparison.Ordinal) || name.StartsWith("score.", StringComparison.Ordinal)
            || (modern && name.StartsWith("head.", StringComparison.Ordinal)) ? name : prefix + name;
        var tensors = model.Transformer.Parameters.Concat(loss.Head.Parameters)
            .Select(p => new TensorToWrite(Key(p.Name), p.Shape, ModelSaver.Float32Values(p))).ToList();
        SafeTensorsWriter.Write(Path.Combine(dir, "model.safetensors"), tensors);

        string source = Path.Combine(model.Folder.TransformerPath, "config.json");
        var json = JsonNode.Parse(File.ReadAllText(source)) as JsonObject ?? throw new ModelFormatException($"{source}: expected a JSON object");
        json["architectures"] = new JsonArray(architecture);
        json["id2label"] = new JsonObject { ["0"] = "LABEL_0" };
        json["label2id"] = new JsonObject { ["LABEL_0"] = 0 };
        json.Remove("num_labels");
        json.Remove("sbert_ce_default_activation_function");
        json[CrossEncoderConfig.SettingsKey] = new JsonObject
        {
            ["activation_fn"] = CrossEncoderConfig.TorchName(loss.Activation),
            ["version"] = ModelSaver.SentenceTransformersVersion,
        };
        ModelSaver.WriteJson(Path.Combine(dir, "config.json"), json);
        foreach (var f in ModelSaver.TokenizerFiles)
        {
            string src = Path.Combine(model.Folder.TransformerPath, f);
            if (File.Exists(src)) File.Copy(src, Path.Combine(dir, f));
        }
        if (modelCard is not null) File.WriteAllText(Path.Combine(dir, "README.md"), modelCard, new UTF8Encoding(false));
    }
}
