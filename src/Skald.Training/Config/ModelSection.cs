namespace Skald.Training.Config;

/// <summary><c>model</c>: the base model.</summary>
/// <param name="Path">Model folder (sentence-transformers, Hugging Face or static layout); empty for a new static model.</param>
/// <param name="Dropout">Hidden and attention dropout in training passes; 0 turns it off.</param>
public sealed record ModelSection(string Path, float Dropout = 0.1f)
{
    /// <summary>
    /// <c>transformer</c> (a folder with a transformer, the default), <c>static</c> (a StaticEmbedding model: the
    /// folder at <see cref="Path"/>, or a new one over <see cref="Tokenizer"/> with <see cref="Dimension"/> columns) or
    /// <c>splade</c> (a sparse encoder: the folder's masked-LM head, read or initialised, with SpladePooling as
    /// <see cref="PoolingStrategy"/> and <see cref="ActivationFunction"/> say; a SparseEncoder folder is one already) or
    /// <c>csr</c> (a CSR sparse encoder: the folder's dense chain with a new SparseAutoEncoder after it, as
    /// <see cref="CsrHiddenDim"/>, <see cref="CsrK"/>, <see cref="CsrKAux"/> say; a CSR folder is one already) or
    /// <c>colbert</c> (a late-interaction model, one vector per token: the folder's transformer and Dense modules with a
    /// new Dense projection when it has none, as PyLate builds one; a PyLate folder is one already; <see cref="Colbert"/>).
    /// </summary>
    public string Type { get; init; } = "transformer";

    /// <summary>
    /// max_seq_length: every text is cut to this many tokens, special tokens included, as sentence-transformers'
    /// <c>model.max_seq_length = N</c> cuts them, in training and in evaluation during training; the saved model records
    /// it (sentence_bert_config.json, an LLM2Vec folder's llm2vec_config.json max_length). Null: the folder's own. From
    /// 2 to the model's positions; not for a static model, a ColBERT (<c>query_length</c>, <c>document_length</c>),
    /// loss.type bge_m3 (<c>query_max_len</c>, <c>passage_max_len</c>), causal_lm (<c>loss.max_seq_length</c>) or a cross-encoder.
    /// </summary>
    public int? MaxSeqLength { get; init; }

    /// <summary>csr: the SparseAutoEncoder's hidden_dim (null: 4 × the embedding width, as sentence-transformers makes it).</summary>
    public int? CsrHiddenDim { get; init; }

    /// <summary>csr: latents kept, k (null: a quarter of the embedding width for a sentence-transformers folder, else 256, as sentence-transformers picks).</summary>
    public int? CsrK { get; init; }

    /// <summary>csr: dead latents the auxiliary reconstruction keeps, k_aux (null: half the width for a sentence-transformers folder, else 512).</summary>
    public int? CsrKAux { get; init; }

    /// <summary>csr: dead_threshold, the top-k selections after which a silent latent counts as dead (30).</summary>
    public int CsrDeadThreshold { get; init; } = 30;

    /// <summary>
    /// Train only the modules after the transformer and pooling (a CSR model's SparseAutoEncoder, Dense modules): the
    /// transformer is frozen, as sentence-transformers' CSR example freezes <c>model[0]</c>; its forward is not recorded.
    /// </summary>
    public bool FreezeTransformer { get; init; }

    /// <summary>splade: SpladePooling's pooling_strategy, <c>max</c> (default) or <c>sum</c>.</summary>
    public string PoolingStrategy { get; init; } = "max";

    /// <summary>splade: SpladePooling's activation_function, <c>relu</c> (default) or <c>log1p_relu</c>.</summary>
    public string ActivationFunction { get; init; } = "relu";

    /// <summary>
    /// splade: make the model inference-free, as sentence-transformers' Router with a SparseStaticEmbedding query route:
    /// the first column (queries) is embedded by a trained weight per vocabulary entry (all 1 to start), the others by
    /// the transformer; saved as a Router folder. A folder that is one already trains so without it.
    /// </summary>
    public bool InferenceFree { get; init; }

    /// <summary>colbert: PyLate's settings given in the config (null under other types).</summary>
    public ColbertModelKeys? Colbert { get; init; }

    /// <summary>A new static model's tokenizer.json (or a folder holding one).</summary>
    public string? Tokenizer { get; init; }

    /// <summary>A new static model's embedding width.</summary>
    public int Dimension { get; init; } = 256;

    /// <summary>A new static model ends with a Normalize module (unit-length embeddings).</summary>
    public bool Normalize { get; init; } = true;

    /// <summary>PEFT LoRA adapter folders merged into the weights in order before training (LLM2Vec's MNTP adapter, then SimCSE's).</summary>
    public IReadOnlyList<string> Adapters { get; init; } = [];

    /// <summary>
    /// Where <see cref="Adapters"/> was set (file and line, or the <c>--set</c>), for a message about one of them; not
    /// part of the configuration (left out of its JSON, so moving a line or giving the key by <c>--set</c> changes nothing).
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string AdaptersWhere { get; init; } = "model";

    /// <summary>The one line for an entry of <see cref="Adapters"/> that is not found: where the key was set, the key, <paramref name="detail"/>.</summary>
    public string AdapterNotFound(string detail) => $"{AdaptersWhere}: model.adapters: {detail}";

    /// <summary>
    /// Where <see cref="Path"/> was set (file and line, or the <c>--set</c>), for a message about it; left out of the
    /// configuration's JSON as <see cref="AdaptersWhere"/> is.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string PathWhere { get; init; } = "model";

    /// <summary>The one line for a <see cref="Path"/> that is neither here nor found on the hub: where the key was set, the key, <paramref name="detail"/>.</summary>
    public string PathNotFound(string detail) => $"{PathWhere}: model.path: {detail}";

    /// <summary>A decoder's attention: <c>causal</c> or <c>bidirectional</c> (LLM2Vec); null keeps the model's own.</summary>
    public string? Attention { get; init; }

    /// <summary>
    /// How the base's weight matrices are held in memory, as <c>skald encode --weights</c>: <c>f32</c> (the default),
    /// <c>bf16</c> or <c>f16</c> (half the memory, computed in float32; only for a frozen base, i.e. with a <c>lora</c>
    /// section), <c>int8</c> (a quarter of the memory: the Linear weights quantised per output row as
    /// <c>skald encode --quantize int8</c> does, multiplied dequantised while training; only with a <c>lora</c> section
    /// saving the adapter), or <c>auto</c> (the checkpoint's own 16-bit format when it is stored in F16/BF16 and the base
    /// is frozen, else f32).
    /// </summary>
    public string Weights { get; init; } = "f32";
}
