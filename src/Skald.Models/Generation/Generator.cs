using Skald.Models.Architectures;
using Skald.Tensors;
using Skald.Tensors.Autograd;

namespace Skald.Models.Generation;

/// <summary>
/// Causal decoding of a batch of token-id prompts with a decoder and its LM head (transformers' generate, greedy or
/// sampling): the prompts are left-padded into one batch [B, T0]; the first step runs them whole and fills a
/// <see cref="KvCache"/> of T0 + max-new-tokens columns, every later step runs one token per row against it (no
/// recomputation of the prefix) on one reused non-recording tape. A row stops at an end-of-sequence id, at a stop
/// string of its decoded text, after max-new-tokens, or at the model's context; a row that is done leaves the steps
/// (as vLLM and TGI drop finished sequences; transformers' generate pads them to the end), its cache row taken by the
/// batch's last (<see cref="RunningRows"/>), so a step computes only the rows still decoding, and a request may join
/// in a free row (<see cref="ContinuousBatching"/>; the prompts joining
/// between two steps prefilled apart in one pass, in chunks between steps with <see cref="ContinuousBatching.PrefillChunk"/>). A row with
/// <see cref="OutputFormat.JsonObject"/> or <see cref="OutputFormat.JsonSchema"/> has its logits masked to the tokens
/// that keep its text a prefix of a JSON object (of one the schema takes: <see cref="JsonConstraint{TAutomaton}"/>) and
/// stops when the object closes. Without a cache
/// (<see cref="GenerationOptions.UseCache"/> false) every step recomputes the whole left-padded sequence of each row
/// still decoding, the reference the cached path is tested against.
/// </summary>
public sealed partial class Generator
{
    private readonly IDecoder decoder;
    private readonly LmHead head;
    private readonly Func<IReadOnlyList<int>, string> decode;
    private readonly int padId;
    private readonly Tape tape = new(recording: false);
    private readonly InferenceGate gate = new();
    private readonly Lazy<IReadOnlyList<byte[]>>? tokenBytes;
    private readonly Lazy<JsonVocabulary>? vocabulary;
    private readonly JoinPrefill prefill;
    private KvCache? cache;

    /// <summary>
    /// A generator over <paramref name="decoder"/> (which needs an LM head); <paramref name="decode"/> turns new ids into
    /// text (without special tokens); <paramref name="padId"/> fills left padding; <paramref name="eosIds"/> end a sequence.
    /// <paramref name="tokenBytes"/> gives the bytes each id adds to the text (<c>Tokenizer.TokenBytes</c>; their
    /// concatenation is what <paramref name="decode"/> makes), read once when a row first asks for JSON output or has stop
    /// strings; without it JSON rows are refused and stop strings are looked for in the text decoded afresh every token.
    /// </summary>
    public Generator(IDecoder decoder, Func<IReadOnlyList<int>, string> decode, int padId, IReadOnlyList<int> eosIds,
        Func<IReadOnlyList<byte[]>>? tokenBytes = null)
    {
        this.decoder = decoder;
        head = decoder.LmHead ?? throw new ModelFormatException("the model has no LM head (lm_head.weight), so it cannot generate");
        this.decode = decode;
        this.padId = padId;
        EosIds = eosIds;
        prefill = new JoinPrefill(decoder, head, tape);
        if (tokenBytes is null) return;
        this.tokenBytes = new(tokenBytes);
        vocabulary = new(() => new JsonVocabulary(this.tokenBytes.Value, head.VocabSize));
    }

    /// <summary>
    /// Makes this generator int8 for inference: every float32 Linear weight (the LM head's too) is quantised per output
    /// row and its float32 values dropped (a head tied to the embedding table keeps them: the lookup reads its rows),
    /// and each step's activations are quantised per token (<see cref="Skald.Tensors.Quantization.Int8Gemm"/>). A step
    /// then reads a quarter of the weight bytes, which bound decoding on a CPU; the logits move by the quantisation
    /// error, so greedy choices between near-equal tokens can differ from float32's. Returns the float32 bytes
    /// released: 0, and float32 kept, on a CPU without int8 kernels. Not undone (load the model again for float32).
    /// </summary>
    public long KeepInt8Only() => InferenceWeights.KeepInt8Only(tape, gate, decoder.Parameters,
        () => Generate([new[] { padId }], new GenerationOptions { MaxNewTokens = 1 })); // one step: every Linear multiplied once

    /// <summary>
    /// Makes this generator bfloat16 for inference: every Linear weight (the LM head's too) is rounded to bfloat16 GEMM
    /// panels and its own values dropped (float32, or the 16-bit ones of <c>--weights bf16|f16</c>; a head tied to a
    /// float32 embedding table keeps its values for the lookup, while a bfloat16 one is looked up in its panels), and each step rounds its activations to bfloat16 and sums
    /// in float32 with <c>vdpbf16ps</c>, or AMX <c>tdpbf16ps</c> where the CPU has AMX-BF16 and K is whole 32s
    /// (<see cref="Skald.Tensors.Quantization.Bf16Gemm"/>, the prefill's rows and a
    /// decoding step's alike, so a row's logits do not depend on its batch mates). The logits move by the rounding, so
    /// greedy choices between near-equal tokens can differ from float32's. Returns the bytes released: 0, and float32
    /// kept, on a CPU without AVX512-BF16. Not undone (load the model again for float32).
    /// </summary>
    public long KeepBf16Only() => InferenceWeights.KeepBf16Only(tape, gate, decoder.Parameters,
        () => Generate([new[] { padId }], new GenerationOptions { MaxNewTokens = 1 })); // one step: every Linear multiplied once

    /// <summary>For tests: bytes of the key/value caches kept (the batches' and the joining prompts' prefill cache).</summary>
    internal long CacheBytes => (cache?.Bytes ?? 0) + prefill.Bytes;

    /// <summary>The model's end-of-sequence ids.</summary>
    public IReadOnlyList<int> EosIds { get; }

    /// <summary>Longest sequence (prompt + new tokens) the model takes: max_position_embeddings.</summary>
    public int Context => decoder.MaxSequenceLength;

    /// <summary>
    /// Continues every prompt. <paramref name="rowIndices"/>[b] is prompts[b]'s index in the caller's input (its sampling
    /// stream and its number in messages; default b); <paramref name="onToken"/> (b, id) is called for every new token as
    /// it is chosen.
    /// </summary>
    public GenerationResult[] Generate(IReadOnlyList<IReadOnlyList<int>> prompts, GenerationOptions options,
        IReadOnlyList<int>? rowIndices = null, Action<int, int>? onToken = null) =>
        Generate(prompts, Enumerable.Repeat(options, prompts.Count).ToArray(), rowIndices, onToken);

    /// <summary>
    /// Continues every prompt with its own options (<paramref name="rowOptions"/>[b]: its own length, sampling, seed and
    /// stop strings; <see cref="GenerationOptions.EosTokenIds"/> and <see cref="GenerationOptions.UseCache"/> must agree),
    /// as one batch: requests of a server answered together. A row gets its max new tokens while its own prompt leaves
    /// room in the context, whatever its batch mates' prompts (left-padded to the longest, a short row's columns may
    /// run past the context while its positions do not). <paramref name="finished"/> (b, result) hears of each row as soon as it
    /// is done (its result is also in the returned array); a row <paramref name="abandoned"/> says is gone (a client that
    /// left) stops at the next step, without a <paramref name="finished"/> call, and the batch ends when no row is left.
    /// With <paramref name="joining"/> other requests take free rows between steps (continuous batching): from then on
    /// b in the callbacks is the row's new request, which is reported through <paramref name="finished"/> only (the
    /// returned array holds the results of <paramref name="prompts"/>). A row whose options ask for
    /// <see cref="GenerationOptions.LogProbs"/> has each token's <see cref="TokenLogProbs"/> in its result, and told to
    /// <paramref name="onLogProbs"/> (b, entry) just before <paramref name="onToken"/> hears of the token; the other
    /// rows' steps compute nothing for them. Calls from several threads take turns (the generator has one tape and one
    /// KV cache). Null <paramref name="prompts"/> or <paramref name="rowOptions"/> is an <see cref="ArgumentNullException"/>;
    /// a null, empty or too long prompt an <see cref="ArgumentException"/> naming <paramref name="prompts"/>, an invalid
    /// option one naming <paramref name="rowOptions"/>.
    /// </summary>
    public GenerationResult[] Generate(IReadOnlyList<IReadOnlyList<int>> prompts, IReadOnlyList<GenerationOptions> rowOptions,
        IReadOnlyList<int>? rowIndices = null, Action<int, int>? onToken = null, Func<int, bool>? abandoned = null,
        Action<int, GenerationResult>? finished = null, ContinuousBatching? joining = null,
        Action<int, TokenLogProbs>? onLogProbs = null)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        ArgumentNullException.ThrowIfNull(rowOptions);
        using (gate.Enter()) // one tape and one KV cache: calls from other threads (or another client over the same model) take turns
            return Decode(prompts, rowOptions, rowIndices, onToken, abandoned, finished, joining, onLogProbs);
    }

    // A JSON row's constraint, or a row of required tool calls' (null for free text).
    private ITokenConstraint? Constraint(GenerationOptions options)
    {
        if (options.Format == OutputFormat.Text && options.ToolCalls is null) return null;
        if (vocabulary is null) throw new ArgumentException("JSON output needs the tokenizer's token bytes, and this generator was given none");
        if (options.ToolCalls is { } calls) return calls.Constraint(vocabulary.Value, options.EosTokenIds ?? EosIds);
        return options.Format == OutputFormat.JsonSchema
            ? new JsonConstraint<JsonSchemaAutomaton>(vocabulary.Value, options.Schema!.Start())
            : new JsonConstraint<JsonAutomaton>(vocabulary.Value, default);
    }

    // The token bytes a row with stop strings matches them with (null: none given, or no stop strings).
    private IReadOnlyList<byte[]>? BytesFor(GenerationOptions options) => options.StopStrings.Count > 0 ? tokenBytes?.Value : null;

    private static bool Compatible(GenerationOptions o, GenerationOptions batch) =>
        o.UseCache == batch.UseCache && SameIds(o.EosTokenIds, batch.EosTokenIds);

    private static bool SameIds(IReadOnlyList<int>? a, IReadOnlyList<int>? b) =>
        ReferenceEquals(a, b) || (a is not null && b is not null && a.SequenceEqual(b));
}
