using Skald.Models.Architectures;
using Skald.Models.MaskedLm;

namespace Skald.Training.Tests.Losses;

/// <summary>The masked-LM architectures <see cref="MaskedLmArchitectureTests"/> runs over: one <see cref="MaskedLmArchitecture"/> each.</summary>
internal static class MaskedLmArchitectures
{
    /// <summary>The rows, by the name each test case carries.</summary>
    public static IReadOnlyList<MaskedLmArchitecture> Rows { get; } =
    [
        // XLMRobertaForMaskedLM: lm_head.{dense, layer_norm}, lm_head.bias; the decoder tied and left out. A new head: BERT's
        // initialisation (a normal of std 0.02), as for DistilBERT and GTE.
        new("xlmr", "xlmr-mlm-tiny")
        {
            ClassName = "XLMRobertaForMaskedLM",
            Head = typeof(BertMaskedLmHead), Layout = MaskedLmLayout.XlmRoberta, Transformer = typeof(BertModel), MaskToken = "<mask>",
            HeadParameters = ["lm_head.dense.weight", "lm_head.dense.bias", "lm_head.layer_norm.weight", "lm_head.layer_norm.bias", "lm_head.bias"],
            Decoder = "embeddings.word_embeddings.weight", StoredParameter = "lm_head.layer_norm.weight",
            HeadWeight = "lm_head.dense.weight", HeadBias = "lm_head.bias", Reference = "training/xlmr_mlm.json",
            GradientChecks =
            [
                ("lm_head.dense.weight", 7), ("lm_head.dense.bias", 3), ("lm_head.layer_norm.weight", 5), ("lm_head.bias", 300),
                ("embeddings.word_embeddings.weight", 400 * 32 + 3), ("encoder.layer.1.intermediate.dense.weight", 17),
            ],
            SavedKeys = ["roberta.embeddings.word_embeddings.weight", "roberta.encoder.layer.1.output.dense.weight", "lm_head.dense.weight", "lm_head.layer_norm.bias", "lm_head.bias"],
            SavedPrefixes = ["roberta.", "lm_head."], TiedKey = "lm_head.decoder",
            EncoderWeight = ("roberta.encoder.layer.1.output.dense.weight", "encoder.layer.1.output.dense.weight"),
            DroppedPrefix = "lm_head.", BareWeightRms = (0.015, 0.025),
            BareOnes = ["lm_head.layer_norm.weight"], BareZeros = ["lm_head.bias"],
        },
        // DistilBertForMaskedLM: vocab_transform, vocab_layer_norm, vocab_projector.bias; the projector's weight tied.
        new("distilbert", "distilbert-tiny")
        {
            ClassName = "DistilBertForMaskedLM",
            Head = typeof(DistilBertMaskedLmHead), Layout = MaskedLmLayout.DistilBert, Transformer = typeof(DistilBert), MaskToken = "[MASK]",
            HeadParameters = ["vocab_transform.weight", "vocab_transform.bias", "vocab_layer_norm.weight", "vocab_layer_norm.bias", "vocab_projector.bias"],
            Decoder = "embeddings.word_embeddings.weight", StoredParameter = "vocab_layer_norm.weight",
            HeadWeight = "vocab_transform.weight", HeadBias = "vocab_projector.bias", Reference = "training/distilbert_mlm.json",
            GradientChecks =
            [
                ("vocab_transform.weight", 7), ("vocab_transform.bias", 3), ("vocab_layer_norm.weight", 5), ("vocab_projector.bias", 300),
                ("embeddings.word_embeddings.weight", 400 * 32 + 3), ("transformer.layer.1.ffn.lin1.weight", 17),
            ],
            SavedKeys = ["distilbert.embeddings.word_embeddings.weight", "distilbert.transformer.layer.1.ffn.lin2.weight", "vocab_transform.weight", "vocab_layer_norm.bias", "vocab_projector.bias"],
            SavedPrefixes = ["distilbert.", "vocab_"], TiedKey = "vocab_projector.weight",
            EncoderWeight = ("distilbert.transformer.layer.1.ffn.lin2.weight", "transformer.layer.1.ffn.lin2.weight"),
            DroppedPrefix = "vocab_", BareWeightRms = (0.015, 0.025),
            BareOnes = ["vocab_layer_norm.weight"], BareZeros = ["vocab_projector.bias"],
            SparseDimension = 800,
        },
        // GTE's NewForMaskedLM: lm_head.dense, hidden_act, lm_head.norm (a LayerNorm under an RMSNorm encoder), lm_head.decoder tied + its bias.
        new("gte", "gte-mlm-tiny")
        {
            ClassName = "NewForMaskedLM",
            Head = typeof(GteMaskedLmHead), Layout = MaskedLmLayout.Gte, Transformer = typeof(Gte), MaskToken = "<mask>",
            HeadParameters = ["lm_head.dense.weight", "lm_head.dense.bias", "lm_head.norm.weight", "lm_head.norm.bias", "lm_head.decoder.bias"],
            Decoder = "embeddings.word_embeddings.weight", StoredParameter = "lm_head.norm.weight",
            HeadWeight = "lm_head.dense.weight", HeadBias = "lm_head.decoder.bias", Reference = "training/gte_mlm.json",
            GradientChecks =
            [
                ("lm_head.dense.weight", 7), ("lm_head.dense.bias", 3), ("lm_head.norm.weight", 5), ("lm_head.norm.bias", 11),
                ("embeddings.word_embeddings.weight", 300 * 32 + 3), ("encoder.layer.1.mlp.up_gate_proj.weight", 17),
            ],
            SavedKeys = ["new.embeddings.word_embeddings.weight", "new.encoder.layer.1.mlp.down_proj.weight", "lm_head.dense.weight", "lm_head.norm.bias", "lm_head.decoder.bias"],
            SavedPrefixes = ["new.", "lm_head."], TiedKey = "lm_head.decoder.weight",
            EncoderWeight = ("new.encoder.layer.0.attention.o_proj.weight", "encoder.layer.0.attention.o_proj.weight"),
            AutoMap = new Dictionary<string, string>
            {
                ["AutoModelForMaskedLM"] = "Alibaba-NLP/new-impl--modeling.NewForMaskedLM", ["AutoModel"] = "Alibaba-NLP/new-impl--modeling.NewModel",
            },
            DroppedPrefix = "lm_head.", BareWeightRms = (0.015, 0.025),
            BareOnes = ["lm_head.norm.weight"], BareZeros = ["lm_head.norm.bias", "lm_head.decoder.bias"],
            SparseDimension = 536,
        },
        // ModernBertForMaskedLM: head.{dense, norm}, decoder.bias; its reference holds the logits only (make_modernbert.py).
        new("modernbert", "modernbert-tiny")
        {
            ClassName = "ModernBertForMaskedLM",
            Head = typeof(ModernBertMaskedLmHead), Layout = MaskedLmLayout.ModernBert, Transformer = typeof(ModernBert), MaskToken = "<mask>",
            HeadParameters = ["head.dense.weight", "head.norm.weight", "decoder.bias"],
            Decoder = "embeddings.tok_embeddings.weight", StoredParameter = "head.dense.weight",
            HeadWeight = "head.dense.weight", HeadBias = "decoder.bias",
            Reference = "models/modernbert-tiny/expected_modernbert.jsonl", LogitsOnly = true, MaskProbability = 0.3f,
            GradientChecks =
            [
                ("head.dense.weight", 7), ("head.norm.weight", 2), ("decoder.bias", 261), ("embeddings.tok_embeddings.weight", 270 * 32 + 3),
                ("layers.1.attn.Wqkv.weight", 40), ("layers.2.mlp.Wi.weight", 17), ("final_norm.weight", 5),
            ],
            SavedKeys = ["model.embeddings.tok_embeddings.weight", "model.embeddings.norm.weight", "model.layers.0.attn.Wqkv.weight",
                "model.layers.3.mlp.Wo.weight", "model.final_norm.weight", "head.dense.weight", "head.norm.weight", "decoder.bias"],
            SavedPrefixes = ["model.", "head.", "decoder.bias"], TiedKey = "decoder.weight",
            EncoderWeight = ("model.layers.1.attn.Wqkv.weight", "layers.1.attn.Wqkv.weight"),
            // norm_bias true in this config: head.norm.bias; classifier_bias false: no head.dense.bias. std: 0.02 / √(2 · 4 layers)
            BareFolder = "modernbert-st-mean", BareHeadParameters = ["head.dense.weight", "head.norm.weight", "head.norm.bias", "decoder.bias"],
            BareWeightBound = 2 * 0.02 / Math.Sqrt(2.0 * 4) + 1e-7, BareOnes = ["head.norm.weight"], BareZeros = ["decoder.bias"],
        },
        // NorbertForMaskedLM (NorBERT3): classifier.nonlinearity.{1.*, 5.bias}, ids < 107 never predicted (at −∞).
        new("norbert3", "norbert3-tiny")
        {
            ClassName = "NorbertForMaskedLM",
            Head = typeof(NorbertMaskedLmHead), Layout = MaskedLmLayout.Norbert, Transformer = typeof(Norbert), MaskToken = "[MASK]", ExcludedIds = 107,
            HeadParameters = ["classifier.nonlinearity.1.weight", "classifier.nonlinearity.1.bias", "classifier.nonlinearity.5.bias"],
            Decoder = "embedding.word_embedding.weight", StoredParameter = "classifier.nonlinearity.1.weight",
            HeadWeight = "classifier.nonlinearity.1.weight", HeadBias = "classifier.nonlinearity.5.bias", Reference = "training/norbert3_mlm.json",
            GradientChecks =
            [
                ("classifier.nonlinearity.1.weight", 7), ("classifier.nonlinearity.1.bias", 3), ("classifier.nonlinearity.5.bias", 300),
                ("classifier.nonlinearity.5.bias", 5), ("embedding.word_embedding.weight", 400 * 32 + 3),
                ("transformer.layers.1.attention.in_proj_qk.weight", 40), ("transformer.layers.0.mlp.mlp.1.weight", 17),
                ("embedding.relative_embedding", 9),
            ],
            SavedKeys = ["embedding.word_embedding.weight", "embedding.relative_embedding", "transformer.layers.1.mlp.mlp.4.weight",
                "classifier.nonlinearity.1.weight", "classifier.nonlinearity.1.bias", "classifier.nonlinearity.5.bias"],
            SavedPrefixes = ["embedding.", "transformer.", "classifier."], TiedKey = "classifier.nonlinearity.5.weight",
            EncoderWeight = ("transformer.layers.1.mlp.mlp.4.weight", "transformer.layers.1.mlp.mlp.4.weight"), SavedFiles = ["modeling_norbert.py"],
            // std √(2 / (5 · hidden)), truncated at 2 std: its root mean square lies between 0.6 and 1 std
            BareFolder = "norbert3-tiny-st", BareWeightBound = 2 * Math.Sqrt(2.0 / (5.0 * 32)) + 1e-7,
            BareWeightRms = (0.6 * Math.Sqrt(2.0 / (5.0 * 32)), Math.Sqrt(2.0 / (5.0 * 32))),
            BareZeros = ["classifier.nonlinearity.1.bias", "classifier.nonlinearity.5.bias"],
        },
        // GptBertForMaskedLM (NorBERT4): classifier.{projection, emb2vocab}, 30·sigmoid(z / 7.5) logits, shifted targets; the
        // tied emb2vocab.weight saved as a copy of the word embeddings.
        new("norbert4", "norbert4-tiny")
        {
            ClassName = "GptBertForMaskedLM",
            Head = typeof(GptBertMaskedLmHead), Layout = MaskedLmLayout.GptBert, Transformer = typeof(GptBert), MaskId = 287, PredictsNextToken = true,
            HeadParameters = ["classifier.projection.weight", "classifier.projection.scale", "classifier.emb2vocab.bias", "classifier.emb2vocab.scale"],
            Decoder = "embedding.word_embedding.weight", StoredParameter = "classifier.projection.weight",
            HeadWeight = "classifier.projection.weight", HeadBias = "classifier.emb2vocab.bias",
            Reference = "training/gptbert_mlm.json", Bound = z => 30 / (1 + Math.Exp(-z / 7.5)),
            GradientChecks =
            [
                ("classifier.projection.weight", 7), ("classifier.projection.scale", 3), ("classifier.emb2vocab.bias", 100),
                ("classifier.emb2vocab.scale", 5), ("embedding.word_embedding.weight", 70 * 32 + 3),
                ("encoder.layers.1.attention.qk_proj.weights.0", 40), ("encoder.layers.2.mlp.up_proj.weights.1", 17),
                ("encoder.layers.3.lambdas", 4),
            ],
            SavedKeys = ["embedding.word_embedding.weight", "encoder.layers.3.mlp.down_proj.weight", "classifier.projection.weight",
                "classifier.projection.scale", "classifier.emb2vocab.bias", "classifier.emb2vocab.scale", "classifier.emb2vocab.weight"],
            SavedPrefixes = ["embedding.", "encoder.", "classifier."], TiedCopy = ("classifier.emb2vocab.weight", "embedding.word_embedding.weight"),
            EncoderWeight = ("encoder.layers.3.mlp.down_proj.weight", "encoder.layers.3.mlp.down_proj.weight"),
            DroppedPrefix = "classifier.", BareWeightBound = 2 * Math.Sqrt(2.0 / (5.0 * 32)) + 1e-7,
            BareOnes = ["classifier.projection.scale", "classifier.emb2vocab.scale"], BareZeros = ["classifier.emb2vocab.bias"],
        },
    ];
}
