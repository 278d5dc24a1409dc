using Skald.Models.MaskedLm;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Skald.Models;
using Skald.Models.LateInteraction;
using Skald.Models.Architectures;
using Skald.Models.Checkpoints;
using Skald.Models.Modules;
using Skald.Tensors;
using Skald.Training.Config;
using Skald.Training.Losses;
using Skald.Training.Static;

namespace Skald.Training.Output;

/// <summary>
/// Saves a trained model as the folder sentence-transformers 5.x writes: the Transformer module in the root
/// (<c>model.safetensors</c> with the HF keys, <c>config.json</c> and the tokenizer files from the source),
/// <c>modules.json</c>, <c>sentence_bert_config.json</c>, <c>config_sentence_transformers.json</c>,
/// <c>1_Pooling/config.json</c>, a folder per Dense module (its <c>config.json</c> and <c>model.safetensors</c> with
/// <c>linear.weight</c>/<c>linear.bias</c>), an empty <c>N_Normalize</c> folder when normalising, and a model card
/// <c>README.md</c>. A source with custom modeling code keeps it: its <c>*.py</c> files are copied beside the copied
/// <c>config.json</c> (whose <c>auto_map</c> names them), and the source's sentence_bert_config.json keys besides
/// max_seq_length / do_lower_case (model_args, tokenizer_args, config_args) are kept. The folder is built under a temporary name and renamed into place. A static model is written as
/// <see cref="Static.StaticModelWriter"/> lays it out, an LLM2Vec model as LLM2Vec does (the transformer folder and
/// llm2vec_config.json, no sentence-transformers modules). A loss's head (masked-LM's <c>cls.predictions.*</c>,
/// ModernBERT's <c>head.*</c> and <c>decoder.bias</c>, NorBERT3/4's <c>classifier.*</c>, GTE's <c>lm_head.*</c>) is saved in the <c>*ForMaskedLM</c> layout
/// (<see cref="MaskedLmLayout"/>): the encoder's keys under <c>bert.</c> / <c>model.</c> / <c>new.</c>, the head's at the top level; a
/// custom-code source's auto_map gains the masked-LM class (<see cref="AutoMapClasses"/>).
/// </summary>
public static partial class ModelSaver
{
    /// <summary>Tokenizer files copied from the source when present.</summary>
    public static readonly IReadOnlyList<string> TokenizerFiles =
    [
        "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt", "vocab.json", "merges.txt",
        "sentencepiece.bpe.model", "spiece.model", "added_tokens.json",
    ];

    /// <summary>Version block written when the source has none (the format Skald writes is sentence-transformers 5.1's).</summary>
    public const string SentenceTransformersVersion = "5.1.0";

    // Indent 2 and "+" / non-ASCII unescaped, as Python's json.dump(indent=2) output reads.
    private static readonly JsonSerializerOptions Indented = new()
    {
        WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Key prefix of BERT's encoder in a checkpoint with a head (<c>BertForMaskedLM</c>).</summary>
    public const string EncoderPrefix = "bert.";

    /// <summary>
    /// Writes <paramref name="model"/> with its current weights (and a loss's <paramref name="head"/>) to
    /// <paramref name="folder"/>, in float32: 16-bit weights are widened and attached LoRA adapters merged into the
    /// written copy (<see cref="Float32Values"/>).
    /// </summary>
    /// <param name="model">The model.</param>
    /// <param name="folder">The folder to write (replaced).</param>
    /// <param name="modelCard">README.md's text, or null for none.</param>
    /// <param name="head">A loss's head to save beside the encoder.</param>
    /// <param name="queryInstruction">An LLM2Vec model's query instruction (a run's <c>data.instruction</c>), saved as
    /// its query prompt (<see cref="WriteLlm2VecConfig"/>); null: the source's prompts as they were.</param>
    public static void Save(SentenceEncoder model, string folder, string? modelCard = null, IReadOnlyList<Parameter>? head = null,
        string? queryInstruction = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        head ??= [];
        if (model.Folder.IsStatic)
        {
            if (head.Count > 0) throw new ArgumentException("a static model has no head to save", nameof(head));
            var table = model.Parameters[0];
            StaticModelWriter.Save(folder, File.ReadAllText(Path.Combine(model.Folder.TransformerPath, "tokenizer.json")),
                table.Data, table.Shape[1], model.Folder.Normalize, modelCard);
            return;
        }
        if (queryInstruction is not null && model.Folder.Llm2Vec is null)
            throw new ArgumentException("a query instruction is saved with an LLM2Vec model only", nameof(queryInstruction));
        StagingPaths.ReplaceFolder(folder, tmp => Write(model, head, tmp, modelCard, queryInstruction));
    }

    private static void Write(SentenceEncoder model, IReadOnlyList<Parameter> head, string dir, string? modelCard, string? queryInstruction)
    {
        var source = model.Folder;
        var m3 = head.Where(BgeM3HeadFiles.IsHead).ToArray(); // BGE-M3's heads: their own files, not the transformer's
        if (m3.Length > 0)
        {
            if (m3.Length != head.Count || model.IsSparse || model.AutoEncoder is not null || model.StaticQuery is not null || source.Llm2Vec is not null)
                throw new ArgumentException("BGE-M3's heads are saved beside a plain dense chain only", nameof(head));
            head = [];
        }
        if (model.SpladeHead is { } splade)
        {
            if (head.Count > 0) throw new ArgumentException("a sparse encoder saves its own masked-LM head", nameof(head));
            head = splade.Parameters; // saved in the *ForMaskedLM layout, as MLMTransformer's save_pretrained does
        }
        var inHead = head.ToHashSet();
        var parameters = model.Parameters.Where(p => !inHead.Contains(p) && p != model.StaticQuery?.Weight).ToList();
        if (model.StaticQuery is { } staticQuery)
        {
            WriteInferenceFree(model, staticQuery, parameters, head, dir, modelCard);
            return;
        }
        if (model.LateInteraction is not null)
        {
            if (head.Count > 0) throw new ArgumentException("a ColBERT has no loss head to save", nameof(head));
            ColbertFolderWriter.Write(model, parameters, dir, modelCard);
            return;
        }
        var denseNames = source.DensePaths.Select(p => Path.GetRelativePath(source.Path, p).Replace('\\', '/')).ToList();
        foreach (var p in parameters)
        {
            int slash = p.Name.LastIndexOf('/');
            if (slash >= 0 && !denseNames.Contains(p.Name[..slash]) && p.Name[..slash] != model.AutoEncoder?.Module)
                throw new TrainingException($"parameter '{p.Name}': no module folder '{p.Name[..slash]}' in {source.Path}");
        }

        WriteTransformer(model, parameters, head, dir);
        if (model.Folder.Llm2Vec is not null)
        {
            // An LLM2Vec model is a transformer folder plus llm2vec_config.json (a folder cannot be both: see ModelFolder).
            WriteLlm2VecConfig(model, dir, queryInstruction);
            if (modelCard is not null) File.WriteAllText(Path.Combine(dir, "README.md"), modelCard, new UTF8Encoding(false));
            return;
        }
        WriteJson(Path.Combine(dir, "sentence_bert_config.json"), SentenceBertConfig(model));
        if (source.Splade is { } pooling)
        {
            WriteSparseModules(model, pooling, dir);
            if (modelCard is not null) File.WriteAllText(Path.Combine(dir, "README.md"), modelCard, new UTF8Encoding(false));
            return;
        }
        WriteDenseModules(model, parameters, denseNames, dir, modelCard);
        if (model.AutoEncoder is null) BgeM3HeadFiles.Write(model, m3, dir); // trained, or the source's copied unchanged
    }

    /// <summary>
    /// The transformer module's files in <paramref name="dir"/>: model.safetensors (the trained tensors and the source's
    /// untrained ones), config.json, the tokenizer files and any custom modeling code.
    /// </summary>
    internal static void WriteTransformer(SentenceEncoder model, List<Parameter> parameters, IReadOnlyList<Parameter> head, string dir)
    {
        var source = model.Folder;
        // 0: Transformer, in the root: the trained tensors, then the source's tensors that were not trained (the pooler,
        // a pre-training head), so the folder holds what the source held, as transformers' save_pretrained would.
        // With a head, the *ForMaskedLM layout: the encoder under "bert." / "model.", the head (cls.* / head.*, decoder.bias)
        // at the top; the tied decoder weight is left out (transformers ties it to the word embeddings on load).
        var layout = MaskedLmLayout.For(model.Transformer);
        string prefix = head.Count > 0 ? layout.EncoderPrefix : "";
        string Key(string name) => layout.IsHeadKey(name) ? name : prefix + name;
        var transformer = parameters.Where(p => !p.Name.Contains('/')).Concat(head)
            .Select(p => StoredLayout.Tensor(Key(p.Name), p, Float32Values(p))).ToList();
        var trained = transformer.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        // A Transformer module saved with an adapter holds none: its weights are the base's (SentenceEncoder.Sources).
        string weights = ModelFolder.IsAdapterModule(source.TransformerPath) ? SentenceEncoder.Sources(model.Source).Weights : source.TransformerPath;
        using (var original = Checkpoint.OpenFolder(weights, [.. ArchitectureRegistry.KeyPrefixes(model.Transformer.Config)]))
        {
            // A Stanford ColBERT source holds its projection beside the encoder: trained and saved as the Dense module (1_Dense).
            bool stanford = StanfordColbert.IsStanford(source.TransformerPath);
            foreach (var key in original.Keys.Where(k => !trained.Contains(Key(k)) && !(stanford && k == StanfordColbert.LinearModule + ".weight"))
                .Order(StringComparer.Ordinal).ToList())
            {
                if (head.Count > 0 && key.StartsWith(layout.TiedDecoder, StringComparison.Ordinal)) continue;
                float[] values;
                try
                {
                    values = original.Read(key, original.Shape(key));
                }
                catch (ModelFormatException)
                {
                    continue; // integer buffers (position_ids) are not weights; transformers rebuilds them
                }
                transformer.Add(new TensorToWrite(Key(key), original.Shape(key), values));
            }
        }
        if (head.Count > 0 && layout.TiedTo is { } tiedTo && !trained.Contains(layout.TiedDecoder))
        {
            var tied = parameters.Single(p => p.Name == tiedTo); // GptBertForMaskedLM stores its tied decoder as a copy
            transformer.Add(new TensorToWrite(layout.TiedDecoder, tied.Shape, tied.Data));
        }
        SafeTensorsWriter.Write(Path.Combine(dir, "model.safetensors"), transformer);
        WriteTransformerFiles(model, dir, head.Count > 0 ? layout.Architecture
            : StanfordColbert.IsStanford(source.TransformerPath) ? StanfordColbert.EncoderArchitecture(model.Transformer.Config.ModelType) : null);
    }

    /// <summary>
    /// The transformer module's files besides its weights in <paramref name="dir"/>: config.json (its architectures
    /// <paramref name="architecture"/> when given), the tokenizer files and any custom modeling code; what a module saved
    /// with a peft adapter in place of its weights holds beside the adapter.
    /// </summary>
    internal static void WriteTransformerFiles(SentenceEncoder model, string dir, string? architecture = null)
    {
        var source = model.Folder;
        WriteConfig(Path.Combine(source.TransformerPath, "config.json"), Path.Combine(dir, "config.json"), architecture);
        foreach (var f in TokenizerFiles)
        {
            string src = Path.Combine(source.TransformerPath, f);
            if (File.Exists(src)) File.Copy(src, Path.Combine(dir, f));
        }
        // Custom modeling code (config.json's auto_map, e.g. NorBERT3's modeling_norbert.py and what it imports): the
        // copied config still points at it, so Python loads the result with trust_remote_code=True as it loaded the source.
        if (HasAutoMap(Path.Combine(source.TransformerPath, "config.json")))
        {
            foreach (var src in Directory.EnumerateFiles(source.TransformerPath, "*.py"))
                File.Copy(src, Path.Combine(dir, Path.GetFileName(src)));
        }
    }

    /// <summary>Pooling, Dense and Normalize after a dense model's transformer, modules.json and the sentence-transformers config.</summary>
    private static void WriteDenseModules(SentenceEncoder model, List<Parameter> parameters, List<string> denseNames, string dir, string? modelCard)
    {
        var source = model.Folder;
        var modules = new JsonArray { Module(0, "", "sentence_transformers.models.Transformer") };
        // 1: Pooling.
        Directory.CreateDirectory(Path.Combine(dir, "1_Pooling"));
        WriteJson(Path.Combine(dir, "1_Pooling", "config.json"), PoolingJson(model.Pooling));
        modules.Add(Module(1, "1_Pooling", "sentence_transformers.models.Pooling"));
        // Dense modules keep their folder names (parameter keys carry them).
        int idx = 2;
        foreach (var (name, srcPath) in denseNames.Zip(source.DensePaths))
        {
            string d = Path.Combine(dir, name);
            Directory.CreateDirectory(d);
            File.Copy(Path.Combine(srcPath, "config.json"), Path.Combine(d, "config.json"));
            SafeTensorsWriter.Write(Path.Combine(d, "model.safetensors"), parameters
                .Where(p => p.Name.StartsWith(name + "/", StringComparison.Ordinal))
                .Select(p => new TensorToWrite(p.Name[(name.Length + 1)..], p.Shape, Float32Values(p))));
            modules.Add(Module(idx++, name, "sentence_transformers.models.Dense"));
        }
        if (source.Normalize)
        {
            string name = $"{idx}_Normalize";
            Directory.CreateDirectory(Path.Combine(dir, name));
            modules.Add(Module(idx++, name, "sentence_transformers.models.Normalize"));
        }
        var config = SentenceTransformersConfig(source);
        if (model.AutoEncoder is { } autoEncoder)
        {
            WriteAutoEncoder(autoEncoder, Path.Combine(dir, autoEncoder.Module));
            modules.Add(Module(idx, autoEncoder.Module, SparseAutoEncoderConfig.ModuleType));
            config["model_type"] = "SparseEncoder";
        }
        WriteJson(Path.Combine(dir, "modules.json"), modules);
        WriteJson(Path.Combine(dir, "config_sentence_transformers.json"), config);
        if (modelCard is not null) File.WriteAllText(Path.Combine(dir, "README.md"), modelCard, new UTF8Encoding(false));
    }

    /// <summary>
    /// The float32 values written for <paramref name="p"/>: its own values, widened when it is held in 16 bits, with an
    /// attached LoRA adapter merged in float32 (W + scale·B·A, peft's merge, never rounded to 16 bits), read back out of
    /// the GEMM's panels for a packed-only weight (<see cref="Parameter.IsPackedOnly"/>: the same bits), or out of the file for a file-backed one
    /// (<see cref="Parameter.IsFileBacked"/>, which stays so). A float32
    /// parameter without an adapter is written from its own buffer, no copy.
    /// </summary>
    public static ReadOnlyMemory<float> Float32Values(Parameter p)
    {
        ArgumentNullException.ThrowIfNull(p);
        if (p.Precision == WeightPrecision.Float32 && p.Lora is null && !p.IsPackedOnly && !p.IsFileBacked) return p.Data;
        var values = new float[p.Length];
        p.Widen(0, values);
        p.Lora?.MergeInto(values);
        return values;
    }

    /// <summary>
    /// For an LLM2Vec model (<see cref="ModelFolder.Llm2Vec"/>), its <c>llm2vec_config.json</c> (pooling_mode, max_length,
    /// doc_max_length, skip_instruction): the file that makes LLM2Vec and Skald load the folder, or the base with this
    /// adapter, bidirectionally; and, when there is a query instruction (<paramref name="queryInstruction"/>, else the
    /// source's query prompt), <c>config_sentence_transformers.json</c> with it as <c>prompts.query</c>, which Skald
    /// reads back as the model's query instruction (<see cref="ModelFolder.Prompts"/>; LLM2Vec itself stores none, its
    /// <c>encode</c> takes an (instruction, text) pair per query). Nothing for other models.
    /// </summary>
    public static void WriteLlm2VecConfig(SentenceEncoder model, string dir, string? queryInstruction = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.Folder.Llm2Vec is not { } c) return;
        WriteJson(Path.Combine(dir, Llm2VecConfig.FileName), new JsonObject
        {
            ["pooling_mode"] = c.PoolingModeName,
            // what the model reads, as LLM2Vec's max_length argument: the folder's max_length or the length the run set
            // (model.max_seq_length), cut to the transformer's positions (a max_length of 512 over 128 positions would have
            // LLM2Vec feed positions the model does not have, and Skald's chunkers size passages by this file)
            ["max_length"] = model.MaxSeqLength,
            ["doc_max_length"] = c.DocMaxLength,
            ["skip_instruction"] = c.SkipInstruction,
        });
        var prompts = new Dictionary<string, string>(model.Folder.Prompts, StringComparer.Ordinal);
        if (queryInstruction is not null) prompts["query"] = queryInstruction;
        if (prompts.Count > 0)
            WriteJson(Path.Combine(dir, "config_sentence_transformers.json"), SentenceTransformersConfig(model.Folder with { Prompts = prompts }));
    }

    /// <summary>Whether config.json names custom code (an <c>auto_map</c> object).</summary>
    private static bool HasAutoMap(string configPath) =>
        Skald.Models.Modules.JsonFiles.ReadNodeObject(configPath)["auto_map"] is JsonObject;

    /// <summary>
    /// sentence_bert_config.json: max_seq_length and do_lower_case, then the source's other keys as they were
    /// (the Transformer module's model_args / tokenizer_args / config_args, e.g. trust_remote_code for custom code).
    /// </summary>
    internal static JsonObject SentenceBertConfig(SentenceEncoder model)
    {
        var config = new JsonObject
        {
            ["max_seq_length"] = model.MaxSeqLength,
            ["do_lower_case"] = model.Folder.DoLowerCase,
        };
        string file = Path.Combine(model.Folder.TransformerPath, "sentence_bert_config.json");
        if (File.Exists(file) && Skald.Models.Modules.JsonFiles.ReadNodeObject(file) is var existing)
        {
            foreach (var (key, value) in existing)
                if (!config.ContainsKey(key)) config[key] = value?.DeepClone();
        }
        return config;
    }

    /// <summary>The source's config.json; with a masked-LM head its <c>architectures</c> becomes <paramref name="architecture"/>.</summary>
    private static void WriteConfig(string source, string target, string? architecture)
    {
        if (architecture is null)
        {
            File.Copy(source, target);
            return;
        }
        var config = Skald.Models.Modules.JsonFiles.ReadNodeObject(source);
        config["architectures"] = new JsonArray(architecture);
        AutoMapClasses.Name(config, "AutoModelForMaskedLM", architecture); // custom code (GTE): its masked-LM class
        WriteJson(target, config);
    }

    /// <summary>1_Pooling/config.json in sentence-transformers' key order.</summary>
    public static JsonObject PoolingJson(PoolingConfig pooling) => new()
    {
        ["word_embedding_dimension"] = pooling.Dimension,
        ["pooling_mode_cls_token"] = pooling.Modes.HasFlag(PoolingMode.Cls),
        ["pooling_mode_mean_tokens"] = pooling.Modes.HasFlag(PoolingMode.Mean),
        ["pooling_mode_max_tokens"] = pooling.Modes.HasFlag(PoolingMode.Max),
        ["pooling_mode_mean_sqrt_len_tokens"] = pooling.Modes.HasFlag(PoolingMode.MeanSqrtLen),
        ["pooling_mode_weightedmean_tokens"] = pooling.Modes.HasFlag(PoolingMode.WeightedMean),
        ["pooling_mode_lasttoken"] = pooling.Modes.HasFlag(PoolingMode.LastToken),
        ["include_prompt"] = pooling.IncludePrompt,
    };

    internal static JsonObject Module(int idx, string path, string type) => new()
    {
        ["idx"] = idx,
        ["name"] = idx.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["path"] = path,
        ["type"] = type,
    };

    internal static JsonObject SentenceTransformersConfig(ModelFolder source)
    {
        JsonObject? existing = null;
        string file = Path.Combine(source.Path, "config_sentence_transformers.json");
        if (File.Exists(file)) existing = Skald.Models.Modules.JsonFiles.ReadNodeObject(file);
        string transformers = "4.56.1";
        if (Skald.Models.Modules.JsonFiles.ReadNodeObject(Path.Combine(source.TransformerPath, "config.json"))["transformers_version"]
            is JsonValue tv && tv.TryGetValue(out string? v))
            transformers = v;
        var version = existing?["__version__"]?.DeepClone() as JsonObject ?? new JsonObject
        {
            ["sentence_transformers"] = SentenceTransformersVersion,
            ["transformers"] = transformers,
            ["pytorch"] = "2.8.0",
        };
        var prompts = new JsonObject();
        if (source.Prompts.Count == 0)
        {
            prompts["query"] = "";
            prompts["document"] = "";
        }
        foreach (var (k, p) in source.Prompts) prompts[k] = p;
        return new JsonObject
        {
            ["model_type"] = "SentenceTransformer",
            ["__version__"] = version,
            ["prompts"] = prompts,
            ["default_prompt_name"] = source.DefaultPromptName,
            ["similarity_fn_name"] = Similarities.Name(source.Similarity),
        };
    }

    internal static void WriteJson(string path, JsonNode node) =>
        File.WriteAllText(path, node.ToJsonString(Indented), new UTF8Encoding(false));
}
