using System.Text;
using System.Text.Json.Nodes;
using Skald.Models;
using Skald.Models.Architectures;
using Skald.Models.Checkpoints;
using Skald.Models.CrossEncoders;
using Skald.Models.Modules;
using Skald.Tokenizers;
using Skald.Training.Output;

namespace Skald.Training.CrossEncoders;

/// <summary>
/// Writes a trained cross-encoder as sentence-transformers' CrossEncoder saves one (v4 and later), which transformers'
/// <c>AutoModelForSequenceClassification</c> and Skald's <see cref="CrossEncoder"/> load: <c>model.safetensors</c>
/// with the encoder under its class's prefix (<c>bert.</c>, <c>roberta.</c>, <c>model.</c>, GTE's <c>new.</c>; BERT's
/// and GTE's pooler under <c>bert.pooler</c> / <c>new.pooler</c>) and the head at the top (<c>classifier.*</c>,
/// ModernBERT's <c>head.*</c>); config.json with architectures <c>*ForSequenceClassification</c> (custom code: its
/// <c>auto_map.AutoModelForSequenceClassification</c> too), the labels (<c>id2label</c> / <c>label2id</c>: the source's names,
/// else LABEL_i) and
/// <c>sentence_transformers.activation_fn</c>; the tokenizer files; the model card as README.md. No modules.json:
/// the folder is not an embedding model. Written atomically.
/// </summary>
public static class CrossEncoderSaver
{
    /// <summary>
    /// <paramref name="loss"/>'s head as peft's modules_to_save tensors (their keys in the classifier, without
    /// <c>base_model.model.</c>), for a SEQ_CLS adapter folder.
    /// </summary>
    public static IReadOnlyList<TensorToWrite> HeadTensors(SentenceEncoder model, CrossEncoderLoss loss)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(loss);
        string prefix = SequenceClassificationHead.ClassFor(model.Transformer.Config.ModelType).EncoderPrefix;
        return [.. loss.Head.Parameters.Select(p => new TensorToWrite(loss.Head.CheckpointKey(p.Name, prefix), p.Shape, p.Data.ToArray()))];
    }

    /// <summary>Saves <paramref name="model"/>'s transformer with <paramref name="loss"/>'s head to <paramref name="folder"/>.</summary>
    public static void Save(SentenceEncoder model, CrossEncoderLoss loss, string folder, string? modelCard = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(loss);
        StagingPaths.ReplaceFolder(folder, dir => Write(model, loss, dir, modelCard));
    }

    /// <summary>
    /// Saves a loaded cross-encoder (its adapters merged, as <see cref="CrossEncoder.Load"/> merges them: <c>skald merge</c>)
    /// to <paramref name="folder"/> in the same layout: its transformer and head in float32, config.json from its base's
    /// with architectures, the labels and the activation it scores with (its problem_type as it was), and the length it
    /// cuts pairs at (<see cref="CrossEncoder.MaxLength"/>, an adapter folder's own) as tokenizer_config.json's
    /// <c>model_max_length</c> where the base's says otherwise, so the folder scores as the loaded model does.
    /// A decoder's config gets a <c>pad_token_id</c> when it has none (transformers' <c>*ForSequenceClassification</c>
    /// finds each row's last token as the last one that is not it, and refuses batches of more than one row without
    /// it), as transformers and peft users set <c>config.pad_token_id = tokenizer.pad_token_id</c>: the pad token the
    /// loaded tokenizer pads with (<see cref="Tokenizer.FromFolder"/>: the one tokenizer_config.json names, else
    /// special_tokens_map.json, <see cref="NamedPadToken"/>; Qwen3 pads with <c>&lt;|endoftext|&gt;</c>, not its
    /// eos), else tokenizer.json's, else config.json's <c>eos_token_id</c> (the first of a list), as models without a
    /// pad token are commonly padded; refused (<see cref="ModelFormatException"/>, one line) when there is none, or
    /// when the named pad token is not in the vocabulary, or when the tokenizer ends every input with that id
    /// (transformers would then score the token before it). A decoder's merged tokenizer_config.json names its pad token (the text of
    /// config.json's pad id) when neither it nor special_tokens_map.json did, so that transformers' tokenizer pads
    /// batches with it. Written atomically.
    /// <para>
    /// With <paramref name="layers"/>, only the transformer's first that many layers are written, config.json's
    /// <c>num_hidden_layers</c> and <c>layer_types</c> cut to match, the head kept (<see cref="LayerTruncation"/>'s cut,
    /// here of the merged model: <c>skald truncate-layers</c> of a cross-encoder adapter). A count out of range, an
    /// architecture that cannot be cut or an int8 base is one line (<see cref="ModelFormatException"/>) before anything is written.
    /// </para>
    /// An int8 base (<c>skald quantize</c>'s, with or without adapters) is refused in one line
    /// (<see cref="Skald.Models.Quantization.Int8Checkpoint.RefuseMerge"/>, a <see cref="ModelFormatException"/>) before
    /// anything is written: its adapters would be merged into dequantised weights, and the float32 folder would score as
    /// neither it nor the adapters' model.
    /// </summary>
    public static void Save(CrossEncoder model, string folder, int? layers = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.Prompt is not null)
            throw new ArgumentException($"{model.Source}: a causal-LM reranker is saved as the decoder it reads, not as a classifier", nameof(model));
        string transformerPath = ModelFolder.Read(model.Path).TransformerPath;
        if (layers is { } n)
        {
            LayerTruncation.RequireCut(model.Source, model.Transformer, n);
            if (Skald.Models.Quantization.Int8Checkpoint.IsQuantized(transformerPath)) throw new ModelFormatException(LayerTruncation.Quantized(model.Source));
        }
        Skald.Models.Quantization.Int8Checkpoint.RefuseMerge(model.Path);
        int? pad = null, configPad = null;
        string? padToken = null; // for the merged tokenizer_config.json, when the base's tokenizer names no pad token
        if (model.Head.Layout == SequenceClassificationHead.HeadLayout.Decoder)
        {
            string config = Path.Combine(transformerPath, "config.json");
            var source = Skald.Models.Modules.JsonFiles.ReadNodeObject(config);
            var named = NamedPadToken.Read(transformerPath);
            configPad = source["pad_token_id"] is JsonValue v && v.TryGetValue(out int given) ? given : null;
            if (source["pad_token_id"] is null) pad = DecoderPadId(model, source, config, named);
            if (named is null && (configPad ?? pad) is { } id) padToken = model.Tokenizer.IdToToken(id);
        }
        StagingPaths.ReplaceFolder(folder, dir =>
        {
            var json = Write(model.Transformer, model.Head, model.Config, transformerPath, dir, null, layers);
            if (pad is { } id) json["pad_token_id"] = id;
            ModelSaver.WriteJson(Path.Combine(dir, "config.json"), json);
            if (padToken is not null) NamePadToken(Path.Combine(dir, "tokenizer_config.json"), padToken);
            RecordMaxLength(model.MaxLength, model.Transformer, transformerPath, dir); // an adapter folder's own length
        });
    }

    // The pad id a decoder classifier's config gets when it names none: the pad token the tokenizer pads with (the one
    // tokenizer_config.json or special_tokens_map.json names, else tokenizer.json's: Tokenizer.FromFolder), else the eos
    // id; refused when there is none to take, when the named one is not a token, or when the tokenizer ends every input with it.
    private static int DecoderPadId(CrossEncoder model, JsonObject config, string path, NamedPadToken? named)
    {
        string fix = "set pad_token_id in config.json to a token inputs never end with, then merge again";
        int? eos = config["eos_token_id"] switch
        {
            JsonArray { Count: > 0 } list when list[0] is JsonValue first && first.TryGetValue(out int id) => id,
            JsonValue value when value.TryGetValue(out int id) => id,
            _ => null,
        };
        if (named is not null && model.Tokenizer.TokenToId(named.Token) is null)
            throw new ModelFormatException($"{named.File}: pad_token \"{named.Token}\" is not a token of the tokenizer; {fix}");
        int? padId = model.Tokenizer.PadTokenId;
        string what = padId is { } p ? $"its pad token {p}{(named is null ? "" : $" ({named.File})")}" : $"its eos id {eos}";
        if ((padId ?? eos) is not { } pad)
        {
            throw new ModelFormatException($"{path}: a decoder classifier needs pad_token_id (transformers finds each row's last token by it), " +
                $"and neither the tokenizer nor config.json has a pad token or an eos_token_id; {fix}");
        }
        if (model.Tokenizer.EncodePair("a", "b").Ids is [.., var last] && last == pad)
        {
            throw new ModelFormatException($"{path}: a decoder classifier needs pad_token_id, and {what} cannot stand in: the tokenizer " +
                $"ends every input with it, so transformers would score the token before it; {fix}");
        }
        return pad;
    }

    // Names `token` as pad_token in the tokenizer_config.json at `path` (copied from the base, or new).
    private static void NamePadToken(string path, string token)
    {
        var root = File.Exists(path) ? ReadObject(path) : [];
        root["pad_token"] = token;
        ModelSaver.WriteJson(path, root);
    }

    private static JsonObject ReadObject(string file) =>
        Skald.Tokenizers.Serialization.JsonFile.ReadNode(file, m => new ModelFormatException(m)) as JsonObject
            ?? throw new ModelFormatException($"{file}: expected a JSON object");

    private static void Write(SentenceEncoder model, CrossEncoderLoss loss, string dir, string? modelCard)
    {
        var settings = loss.Settings with { Activation = loss.Activation };
        var json = Write(model.Transformer, loss.Head, settings, model.Folder.TransformerPath, dir, modelCard);
        RecordMaxLength(model.MaxSeqLength, model.Transformer, model.Folder.TransformerPath, dir);
        // transformers' loss choice for a head of several labels: several may be true at once (bce), or one class.
        if (loss is BinaryCrossEntropyLoss && loss.Head.NumLabels > 1) json["problem_type"] = "multi_label_classification";
        else json.Remove("problem_type");
        ModelSaver.WriteJson(Path.Combine(dir, "config.json"), json);
    }

    // Records the length pairs are cut at (SentenceEncoder.MaxSeqLength, set by model.max_seq_length; a loaded
    // CrossEncoder's MaxLength) as model_max_length in dir's tokenizer_config.json, where sentence-transformers'
    // CrossEncoder(max_length=N) keeps it (its tokenizer's, saved with the model) and CrossEncoder.Load reads it back;
    // the file copied from tokenizerPath is left as it was when it already loads at that length.
    private static void RecordMaxLength(int length, ITransformer transformer, string tokenizerPath, string dir)
    {
        if (!CutElsewhere(length, transformer, tokenizerPath)) return;
        string path = Path.Combine(dir, "tokenizer_config.json");
        var root = File.Exists(path) ? ReadObject(path) : [];
        root["model_max_length"] = length;
        ModelSaver.WriteJson(path, root);
    }

    /// <summary>
    /// A cross-encoder's peft SEQ_CLS adapter folder, written atomically: the adapters under the classifier's module
    /// paths and the head whole (modules_to_save, <see cref="HeadTensors"/>), the card as README.md; and, when the
    /// pairs were cut at another length than the base folder's (<c>model.max_seq_length</c>), the tokenizer files with
    /// that <c>model_max_length</c>, as sentence-transformers saves its tokenizer beside the adapter.
    /// </summary>
    public static void SaveAdapter(SentenceEncoder model, CrossEncoderLoss loss, Skald.Models.Adapters.LoraConfig lora, string folder, string? modelCard)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(loss);
        ArgumentNullException.ThrowIfNull(lora);
        string prefix = SequenceClassificationHead.ClassFor(model.Transformer.Config.ModelType).EncoderPrefix;
        var head = HeadTensors(model, loss);
        StagingPaths.ReplaceFolder(folder, dir =>
        {
            Skald.Models.Adapters.PeftAdapters.WriteInto(dir, folder, model.Parameters,
                lora with { TaskType = "SEQ_CLS", ModulePrefix = prefix, ModulesToSave = loss.Head.SavedModules }, head);
            if (CutElsewhere(model.MaxSeqLength, model.Transformer, model.Folder.TransformerPath))
            {
                foreach (var f in ModelSaver.TokenizerFiles)
                {
                    string src = Path.Combine(model.Folder.TransformerPath, f);
                    if (File.Exists(src)) File.Copy(src, Path.Combine(dir, f));
                }
                RecordMaxLength(model.MaxSeqLength, model.Transformer, model.Folder.TransformerPath, dir);
            }
            if (modelCard is not null) File.WriteAllText(Path.Combine(dir, "README.md"), modelCard, new UTF8Encoding(false));
        });
    }

    // Whether pairs are cut at another length than the tokenizer files at tokenizerPath load at (CrossEncoder.Load:
    // model_max_length capped by the positions).
    private static bool CutElsewhere(int length, ITransformer transformer, string tokenizerPath)
    {
        int positions = transformer.MaxSequenceLength;
        int copied = new ModelFolder { Path = tokenizerPath, TransformerPath = tokenizerPath }.TokenizerMaxLength() ?? positions;
        return length != Math.Min(copied, positions);
    }

    // The weights, the tokenizer files and the card into dir; config.json's object, to be finished and written by the caller.
    // With layers, the transformer's first that many layers only (LayerTruncation's cut).
    private static JsonObject Write(ITransformer transformer, SequenceClassificationHead head, CrossEncoderConfig settings,
        string transformerPath, string dir, string? modelCard, int? layers = null)
    {
        var (architecture, prefix) = SequenceClassificationHead.ClassFor(transformer.Config.ModelType);
        var tensors = transformer.Parameters.Concat(head.Parameters)
            .Select(p => (Key: head.CheckpointKey(p.Name, prefix), Parameter: p))
            .Where(t => layers is not { } n || LayerTruncation.Keeps(t.Key, n))
            .Select(t => StoredLayout.Tensor(t.Key, t.Parameter, ModelSaver.Float32Values(t.Parameter))).ToList();
        SafeTensorsWriter.Write(Path.Combine(dir, "model.safetensors"), tensors);

        string source = Path.Combine(transformerPath, "config.json");
        var json = Skald.Models.Modules.JsonFiles.ReadNodeObject(source);
        if (layers is { } kept) LayerTruncation.CutConfig(json, transformer.Config, kept);
        json["architectures"] = new JsonArray(architecture);
        // A model of custom code saved as a classifier: auto_map names the classifier class of its module, as the published
        // rerankers' config.json does, when the source (an embedding model) lacks it.
        Output.AutoMapClasses.Name(json, "AutoModelForSequenceClassification", architecture);
        var id2label = new JsonObject();
        var label2id = new JsonObject();
        for (int i = 0; i < head.NumLabels; i++)
        {
            string name = settings.Labels[i];
            id2label[i.ToString(System.Globalization.CultureInfo.InvariantCulture)] = name;
            label2id[name] = i;
        }
        json["id2label"] = id2label;
        json["label2id"] = label2id;
        json.Remove("num_labels");
        json.Remove("sbert_ce_default_activation_function");
        json[CrossEncoderConfig.SettingsKey] = new JsonObject
        {
            ["activation_fn"] = CrossEncoderConfig.TorchName(settings.Activation),
            ["version"] = ModelSaver.SentenceTransformersVersion,
        };
        foreach (var f in ModelSaver.TokenizerFiles)
        {
            string src = Path.Combine(transformerPath, f);
            if (File.Exists(src)) File.Copy(src, Path.Combine(dir, f));
        }
        if (modelCard is not null) File.WriteAllText(Path.Combine(dir, "README.md"), modelCard, new UTF8Encoding(false));
        return json;
    }
}
