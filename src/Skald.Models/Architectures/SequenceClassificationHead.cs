using Skald.Models.Checkpoints;
using Skald.Models.Modules;
using Skald.Tensors;
using Skald.Tensors.Autograd;
using Skald.Tokenizers.Serialization;

namespace Skald.Models.Architectures;

/// <summary>
/// The head of transformers' <c>*ForSequenceClassification</c> classes over an encoder's token states: what a
/// sentence-transformers CrossEncoder (a reranker) puts on top of the transformer. One computation per key layout, run
/// with or without recording like the architectures:
/// <list type="bullet">
/// <item>BertForSequenceClassification
/// (https://github.com/huggingface/transformers/blob/8ec58104181bfb34d824d89bccc009b4f6be6e0e/src/transformers/models/bert/modeling_bert.py):
/// the pooler's <c>pooler.dense</c> [C, C] + tanh on the first token, dropout, <c>classifier</c> [L, C]. GTE's
/// NewForSequenceClassification (Alibaba-NLP/gte-multilingual-reranker-base; new-impl's modeling.py,
/// https://huggingface.co/Alibaba-NLP/new-impl/blob/40ced75c3017eb27626c9d4ea981bde21a2662f4/modeling.py, read as stored
/// file 16234270733) is the same head: NewModel built with add_pooling_layer, its NewPooler BERT's (dense + tanh on the
/// first token), then dropout (classifier_dropout, else hidden_dropout_prob) and <c>classifier</c>; the encoder and the
/// pooler under <c>new.</c>.</item>
/// <item>XLMRobertaForSequenceClassification / RobertaForSequenceClassification
/// (https://github.com/huggingface/transformers/blob/c919542dd33c97943005f9a6e298e23d9ba6f009/src/transformers/models/xlm_roberta/modeling_xlm_roberta.py,
/// the classification head): the first token (&lt;s&gt;), dropout, <c>classifier.dense</c> [C, C], tanh, dropout,
/// <c>classifier.out_proj</c> [L, C]; no pooler.</item>
/// <item>ModernBertForSequenceClassification
/// (https://github.com/huggingface/transformers/blob/1ae3d1e0c46618caf8bbe15c404293d0d1f8b8ee/src/transformers/models/modernbert/modeling_modernbert.py):
/// the first token or the masked mean (<c>classifier_pooling</c> cls | mean) of the final-normed states,
/// <c>head.dense</c> [C, C] (a bias with classifier_bias), classifier_activation, <c>head.norm</c> (a bias with
/// norm_bias), dropout, <c>classifier</c> [L, C].</item>
/// <item>DistilBertForSequenceClassification
/// (https://github.com/huggingface/transformers/blob/e368c1a8819d54720956961ea7cd47d99239bd39/src/transformers/models/distilbert/modeling_distilbert.py):
/// the first token, <c>pre_classifier</c> [C, C], ReLU, dropout (seq_classif_dropout's place), <c>classifier</c> [L, C].</item>
/// <item>LlamaForSequenceClassification and its kin (Mistral, Qwen2, Qwen3, Gemma; transformers'
/// GenericForSequenceClassification,
/// https://github.com/huggingface/transformers/blob/v4.56.1/src/transformers/modeling_layers.py): <c>score</c> [L, C]
/// without bias on the last real token of the decoder's final-normed states (transformers takes the last token that is
/// not the pad id; Skald the last the attention mask marks).</item>
/// </list>
/// Logits come out raw, [B, L]; the activation a CrossEncoder applies is its own (<see cref="CrossEncoders.ScoreActivation"/>).
/// </summary>
public sealed class SequenceClassificationHead
{
    private readonly Parameter? dense;             // pooler.dense | classifier.dense | head.dense | pre_classifier: [C, C] (none on a decoder)
    private readonly Parameter? denseBias;         // [C] (ModernBERT: classifier_bias)
    private readonly Parameter? normWeight;        // head.norm.weight: [C] (ModernBERT)
    private readonly Parameter? normBias;          // head.norm.bias: [C] (ModernBERT: norm_bias)
    private readonly Parameter outWeight;          // classifier | classifier.out_proj | score: [L, C]
    private readonly Parameter? outBias;           // [L] (none on a decoder's score)
    private readonly ActivationKind activation;
    private readonly PoolingConfig pooling;
    private readonly float eps;

    /// <summary>Builds the head of <paramref name="config"/>'s architecture with <paramref name="numLabels"/> outputs through <paramref name="p"/>.</summary>
    public SequenceClassificationHead(TransformerConfig config, ParameterBuilder p, int numLabels, PoolingMode poolingMode = PoolingMode.Cls)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(p);
        if (numLabels < 1) throw new ArgumentOutOfRangeException(nameof(numLabels), "a classifier has at least one label");
        Layout = LayoutFor(config);
        NumLabels = numLabels;
        int c = config.HiddenSize;
        eps = config.LayerNormEps;
        pooling = new PoolingConfig(c, Layout switch
        {
            HeadLayout.ModernBert => poolingMode,
            HeadLayout.Decoder => PoolingMode.LastToken,
            _ => PoolingMode.Cls,
        });
        switch (Layout)
        {
            case HeadLayout.Bert:
            case HeadLayout.DistilBert:
                // BERT: the pooler's pooler.dense + tanh; DistilBERT: pre_classifier + ReLU.
                string first = Layout == HeadLayout.Bert ? "pooler.dense" : "pre_classifier";
                dense = p.Tensor(first + ".weight", c, c);
                denseBias = p.Tensor(first + ".bias", c);
                outWeight = p.Tensor("classifier.weight", numLabels, c);
                outBias = p.Tensor("classifier.bias", numLabels);
                activation = Layout == HeadLayout.Bert ? ActivationKind.Tanh : ActivationKind.Relu;
                break;
            case HeadLayout.Roberta:
                var head = p.Sub("classifier");
                dense = head.Tensor("dense.weight", c, c);
                denseBias = head.Tensor("dense.bias", c);
                outWeight = head.Tensor("out_proj.weight", numLabels, c);
                outBias = head.Tensor("out_proj.bias", numLabels);
                activation = ActivationKind.Tanh;
                break;
            case HeadLayout.Decoder:
                outWeight = p.Tensor("score.weight", numLabels, c);
                activation = ActivationKind.Identity;
                break;
            default:
                var h = p.Sub("head");
                dense = h.Tensor("dense.weight", c, c);
                denseBias = config.ClassifierBias ? h.Tensor("dense.bias", c) : null;
                normWeight = h.Tensor("norm.weight", c);
                normBias = config.NormBias ? h.Tensor("norm.bias", c) : null;
                outWeight = p.Tensor("classifier.weight", numLabels, c);
                outBias = p.Tensor("classifier.bias", numLabels);
                activation = ActivationNames.FromHiddenAct(config.ClassifierActivation, config.Source);
                break;
        }
        Parameters = new[] { dense, denseBias, normWeight, normBias, outWeight, outBias }.OfType<Parameter>().ToArray();
    }

    /// <summary>Which class's keys the head has.</summary>
    public HeadLayout Layout { get; }

    /// <summary>Number of outputs (config.json's num_labels).</summary>
    public int NumLabels { get; }

    /// <summary>Its parameters under their checkpoint keys.</summary>
    public IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>How the first layer's keys read for each layout.</summary>
    public enum HeadLayout
    {
        /// <summary>BertForSequenceClassification (and GTE's NewForSequenceClassification): <c>pooler.dense</c>, <c>classifier</c>.</summary>
        Bert,
        /// <summary>(XLM-)RobertaForSequenceClassification: <c>classifier.dense</c>, <c>classifier.out_proj</c>.</summary>
        Roberta,
        /// <summary>ModernBertForSequenceClassification: <c>head.dense</c>, <c>head.norm</c>, <c>classifier</c>.</summary>
        ModernBert,
        /// <summary>A decoder's *ForSequenceClassification: <c>score</c> on the last token.</summary>
        Decoder,
        /// <summary>DistilBertForSequenceClassification: <c>pre_classifier</c>, <c>classifier</c>.</summary>
        DistilBert,
    }

    /// <summary>The layout for <paramref name="config"/>'s model_type; other architectures have no head here yet.</summary>
    public static HeadLayout LayoutFor(TransformerConfig config) => config.ModelType switch
    {
        "bert" or GteConfigReader.ModelType => HeadLayout.Bert,
        "xlm-roberta" or "roberta" or "camembert" => HeadLayout.Roberta,
        "modernbert" => HeadLayout.ModernBert,
        "distilbert" => HeadLayout.DistilBert,
        "llama" or "mistral" or "qwen2" or "qwen3" or "gemma" or "gemma2" or "gemma3_text" => HeadLayout.Decoder,
        _ => throw new ModelFormatException(
            $"{config.Source}: sequence classification (a cross-encoder) is supported for bert, xlm-roberta, roberta, camembert, modernbert, distilbert, gte (NewModel) and the decoders (llama, mistral, qwen2, qwen3, gemma, gemma2, gemma3_text), not \"{config.ModelType}\""),
    };

    /// <summary>The <c>*ForSequenceClassification</c> class and the key prefix of its encoder, for a model_type.</summary>
    public static (string Architecture, string EncoderPrefix) ClassFor(string modelType) => modelType switch
    {
        "bert" => ("BertForSequenceClassification", "bert."),
        "xlm-roberta" => ("XLMRobertaForSequenceClassification", "roberta."),
        "roberta" => ("RobertaForSequenceClassification", "roberta."),
        "camembert" => ("CamembertForSequenceClassification", "roberta."),
        "modernbert" => ("ModernBertForSequenceClassification", "model."),
        "distilbert" => ("DistilBertForSequenceClassification", "distilbert."),
        GteConfigReader.ModelType => ("NewForSequenceClassification", "new."),
        "llama" => ("LlamaForSequenceClassification", "model."),
        "mistral" => ("MistralForSequenceClassification", "model."),
        "qwen2" => ("Qwen2ForSequenceClassification", "model."),
        "qwen3" => ("Qwen3ForSequenceClassification", "model."),
        "gemma" => ("GemmaForSequenceClassification", "model."),
        "gemma2" => ("Gemma2ForSequenceClassification", "model."),
        "gemma3_text" => ("Gemma3TextForSequenceClassification", "model."),
        _ => throw new ArgumentException($"no sequence-classification class for model_type \"{modelType}\""),
    };

    /// <summary>
    /// The key a parameter of the whole classifier has in its checkpoint: the head's own keys (<c>classifier.*</c>,
    /// <c>score.*</c>, ModernBERT's <c>head.*</c>, DistilBERT's <c>pre_classifier.*</c>) at the top, everything else (BERT's pooler too) under the encoder's prefix.
    /// </summary>
    public string CheckpointKey(string name, string encoderPrefix)
    {
        ArgumentNullException.ThrowIfNull(name);
        bool top = name.StartsWith("classifier.", StringComparison.Ordinal) || name.StartsWith("score.", StringComparison.Ordinal)
            || (Layout == HeadLayout.ModernBert && name.StartsWith("head.", StringComparison.Ordinal))
            || (Layout == HeadLayout.DistilBert && name.StartsWith("pre_classifier.", StringComparison.Ordinal));
        return top ? name : encoderPrefix + name;
    }

    /// <summary>The key of the head's output weight [num_labels, hidden] in a checkpoint of this layout.</summary>
    public static string OutputKey(HeadLayout layout) => layout switch
    {
        HeadLayout.Roberta => "classifier.out_proj.weight",
        HeadLayout.Decoder => "score.weight",
        _ => "classifier.weight",
    };

    /// <summary>
    /// The number of labels of the classifier <paramref name="checkpoint"/> holds (its output weight's rows), or null when
    /// it holds none; a weight of another width is one line naming it.
    /// </summary>
    public static int? LabelsIn(TransformerConfig config, Checkpoint checkpoint)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(checkpoint);
        string key = OutputKey(LayoutFor(config));
        return checkpoint.Contains(key) ? Labels(checkpoint.Shape(key), config, $"{checkpoint.Description}: {key}") : null;
    }

    /// <summary>The rows of an output weight of shape <paramref name="shape"/> ([num_labels, hidden]).</summary>
    public static int Labels(int[] shape, TransformerConfig config, string what)
    {
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(config);
        return shape.Length == 2 && shape[1] == config.HiddenSize
            ? shape[0]
            : throw new ModelFormatException($"{what} has shape [{string.Join(", ", shape)}], expected [num_labels, {config.HiddenSize}]");
    }

    /// <summary>The modules a peft SEQ_CLS adapter saves whole for this head (its modules_to_save).</summary>
    public IReadOnlyList<string> SavedModules => Layout switch
    {
        HeadLayout.Bert => ["classifier", "pooler"],
        HeadLayout.ModernBert => ["head", "classifier"],
        HeadLayout.DistilBert => ["pre_classifier", "classifier"],
        HeadLayout.Decoder => ["score"],
        _ => ["classifier"],
    };

    /// <summary>
    /// The head over <paramref name="checkpoint"/> (opened with the architecture's key prefixes), as transformers'
    /// <c>from_pretrained</c> builds it: every head tensor the checkpoint holds is read (a cross-encoder's whole head, a
    /// BERT checkpoint's pooler), the others are new (<see cref="Initializer"/> from <paramref name="seed"/>) and listed in
    /// <paramref name="missing"/>.
    /// </summary>
    public static SequenceClassificationHead FromCheckpoint(TransformerConfig config, Checkpoint checkpoint, int numLabels,
        PoolingMode pooling, ulong seed, out IReadOnlyList<Parameter> missing)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        var init = Initializer(config, new SkaldRandom(seed));
        var absent = new HashSet<string>(StringComparer.Ordinal);
        var builder = ParameterBuilder.FromInitializer((key, values) =>
        {
            if (!checkpoint.Contains(key))
            {
                absent.Add(key);
                init(key, values);
                return;
            }
            var shape = checkpoint.Shape(key);
            if (shape.Aggregate(1L, (a, d) => a * d) != values.Length)
                throw new ModelFormatException(
                    $"{checkpoint.Description}: {key} has shape [{string.Join(", ", shape)}]; a head with {Counted.Of(numLabels, "label")} needs {Counted.Of(values.Length, "value")}");
            checkpoint.ReadInto(key, values, shape);
        });
        var head = new SequenceClassificationHead(config, builder, numLabels, pooling);
        missing = [.. head.Parameters.Where(p => absent.Contains(p.Name))];
        return head;
    }

    /// <summary>
    /// A new head's values, as transformers initialises a *ForSequenceClassification head the checkpoint lacks: Linear
    /// weights N(0, initializer_range²), biases 0, norm weights 1. (ModernBERT draws its head from truncated normals of
    /// other widths; any small random start serves, and is what this gives.)
    /// </summary>
    public static ParameterInitializer Initializer(TransformerConfig config, SkaldRandom random) => (key, values) =>
    {
        ArgumentNullException.ThrowIfNull(config);
        if (key.EndsWith(".bias", StringComparison.Ordinal)) values.Clear();
        else if (key.Contains("norm", StringComparison.Ordinal)) values.Fill(1f);
        else
        {
            for (int i = 0; i < values.Length; i++) values[i] = (float)(random.NextGaussian() * config.InitializerRange);
        }
    };

    /// <summary>
    /// Logits [B, L] from the transformer's token states <paramref name="hidden"/> [B·T, C] for <paramref name="tokens"/>.
    /// Dropout acts where transformers' train mode applies it, with the tape's rate (<see cref="Tape.Dropout"/>).
    /// </summary>
    public Variable Forward(Tape tape, Variable hidden, TokenBatch tokens)
    {
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(tokens);
        // The head's products are [B, C] · [C, C]: nothing to gain from int8 (--quantize int8), and a score read from one
        // row is more sensitive to rounding than the transformer's states; they stay float32.
        bool quantize = tape.QuantizeLinear;
        tape.QuantizeLinear = false;
        try
        {
            return Head(tape, Modules.Pooling.Forward(tape, hidden, tokens.Mask, tokens.Batch, tokens.Seq, pooling)); // [B, C] → [B, L]
        }
        finally
        {
            tape.QuantizeLinear = quantize;
        }
    }

    private Variable Head(Tape tape, Variable x)
    {
        float p = tape.Dropout;
        switch (Layout)
        {
            case HeadLayout.Decoder:
                // logits = last · Wsᵀ (no dropout: transformers' score head has none)
                return Ops.Linear(tape, x, outWeight, null);
            case HeadLayout.Bert:
            case HeadLayout.DistilBert:
                // BERT: pooled = tanh(first · Wpᵀ + bp); DistilBERT: pooled = relu(first · Wpᵀ + bp) (pre_classifier);
                // logits = dropout(pooled) · Wcᵀ + bc
                x = Ops.Activation(tape, Ops.Linear(tape, x, dense!, denseBias), activation);
                return Ops.Linear(tape, Ops.Dropout(tape, x, p), outWeight, outBias);
            case HeadLayout.Roberta:
                // logits = dropout(tanh(dropout(first) · Wdᵀ + bd)) · Woᵀ + bo
                x = Ops.Activation(tape, Ops.Linear(tape, Ops.Dropout(tape, x, p), dense!, denseBias), activation);
                return Ops.Linear(tape, Ops.Dropout(tape, x, p), outWeight, outBias);
            default:
                // logits = dropout(LayerNorm(act(pooled · Wdᵀ [+ bd]))) · Wcᵀ + bc (ModernBERT's classifier_dropout: 0 unless set)
                x = Ops.Activation(tape, Ops.Linear(tape, x, dense!, denseBias), activation);
                x = Ops.LayerNormalization(tape, x, normWeight!, normBias, eps);
                return Ops.Linear(tape, x, outWeight, outBias);
        }
    }
}
