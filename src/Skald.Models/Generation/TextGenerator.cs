using Skald.Models.Architectures;
using Skald.Tokenizers;
using Skald.Tokenizers.Templates;
using Skald.Tensors;

namespace Skald.Models.Generation;

/// <summary>
/// Text generation from a model folder (config.json, safetensors with an LM head, tokenizer.json, optionally
/// generation_config.json): prompts as text, token ids or chat messages → <see cref="GenerationResult"/>s, batched
/// (rows of similar length together; each row's sampling stream is its own, so results do not depend on batching),
/// through <see cref="Generator"/>.
/// </summary>
public sealed partial class TextGenerator
{
    private readonly Generator generator;
    private Lazy<IChatFormatter?> chatFormatter = new((IChatFormatter?)null);
    private string templateSource = "the model folder";

    private TextGenerator(IDecoder decoder, Tokenizer tokenizer, GenerationConfig config)
    {
        Decoder = decoder;
        Tokenizer = tokenizer;
        int pad = tokenizer.PadTokenId ?? config.PadTokenId ?? (config.EosTokenIds.Count > 0 ? config.EosTokenIds[0] : 0);
        generator = new Generator(decoder, DecodeText, pad, config.EosTokenIds, tokenizer.TokenBytes);
    }

    /// <summary>For tests: bytes of the key/value caches kept (<see cref="Generation.Generator.CacheBytes"/>).</summary>
    internal long CacheBytes => generator.CacheBytes;

    /// <summary>The text of generated ids, special tokens dropped (a request's <see cref="GenerationOptions.Decode"/> may keep some).</summary>
    internal string DecodeText(IReadOnlyList<int> ids) => Tokenizer.Decode(ids, skipSpecialTokens: true);

    /// <summary>How the ids of a request with <paramref name="options"/> become its text.</summary>
    internal Func<IReadOnlyList<int>, string> DecoderOf(GenerationOptions options) => options.Decode ?? DecodeText;

    /// <summary>The decoder.</summary>
    public IDecoder Decoder { get; }

    /// <summary>The tokenizer.</summary>
    public Tokenizer Tokenizer { get; }

    /// <summary>The folder the chat template is read from, for messages naming it ("the model folder" when built in memory).</summary>
    internal string TemplateSource => templateSource;

    /// <summary>
    /// The chat template for <see cref="GenerationInput.Messages"/> inputs (null: such inputs fail): by default the
    /// model folder's (<see cref="ChatTemplateFormatter"/>), read when first needed; reading it throws
    /// <see cref="ChatTemplateException"/> for a template outside the supported subset.
    /// </summary>
    public IChatFormatter? ChatFormatter
    {
        get => chatFormatter.Value;
        set => chatFormatter = new(value);
    }

    /// <summary>
    /// Makes this generator int8 for inference, as <c>skald generate --quantize int8</c> runs it
    /// (<see cref="Generator.KeepInt8Only"/>); returns the float32 bytes released (0 on a CPU without int8 kernels).
    /// </summary>
    public long KeepInt8Only()
    {
        Enter();
        try
        {
            return generator.KeepInt8Only();
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>
    /// Makes this generator bfloat16 for inference, as <c>skald generate --quantize bf16</c> runs it
    /// (<see cref="Generator.KeepBf16Only"/>); returns the bytes released (0 on a CPU without AVX512-BF16).
    /// </summary>
    public long KeepBf16Only()
    {
        Enter();
        try
        {
            return generator.KeepBf16Only();
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>End-of-sequence ids from the model folder.</summary>
    public IReadOnlyList<int> EosIds => generator.EosIds;

    /// <summary>Longest prompt + continuation (max_position_embeddings).</summary>
    public int Context => generator.Context;

    /// <summary>
    /// The prompt's token ids; messages (and their <see cref="GenerationInput.Tools"/>) are rendered with <see cref="ChatFormatter"/> and tokenized without adding special
    /// tokens (the template writes them). Throws <see cref="InvalidOperationException"/> for messages without a chat
    /// template and <see cref="ChatTemplateException"/> when the template cannot be read or rendered.
    /// </summary>
    public int[] Tokenize(GenerationInput input) => Tokenize(input, 0)!;

    /// <summary>
    /// <see cref="Tokenize(GenerationInput)"/>'s ids when there are at most <paramref name="maxTokens"/> of them (0: no
    /// limit), else null: a longer text (a prompt, or the rendered messages) is tokenized only as far as the tokenizer
    /// needs to tell that it is longer (<see cref="Tokenizer.Encode(string, bool, int)"/>'s bounded truncation), and
    /// messages are rendered only that far (<see cref="RenderLimit.Tokens"/>, where the tokenizer allows it), so a
    /// text or conversation far past the context costs about what the context holds, not its length.
    /// </summary>
    public int[]? Tokenize(GenerationInput input, int maxTokens)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(input);
        ArgumentOutOfRangeException.ThrowIfNegative(maxTokens);
        if (input.Ids is { } ids) return maxTokens > 0 && ids.Count > maxTokens ? null : [.. ids];
        Interlocked.Increment(ref tokenizations);
        if (input.Prompt is { } prompt) return Within(Tokenizer.Encode(prompt, addSpecialTokens: true, maxTokens));
        if (input.Messages is { } messages)
        {
            if (ChatFormatter is null)
                throw new InvalidOperationException($"messages input needs a chat template, and {templateSource} has none (tokenizer_config.json chat_template or chat_template.jinja); give a prompt or ids instead");
            // the rendering stops once its text so far proves more than maxTokens tokens (null: it is longer)
            var limit = maxTokens > 0 ? RenderLimit.Tokens(Tokenizer, maxTokens) : null;
            string? text = ChatFormatter.Format(messages, input.Tools ?? [], limit);
            return text is null ? null : Within(Tokenizer.Encode(text, addSpecialTokens: false, maxTokens));
        }
        throw new ArgumentException("an input needs a prompt, ids or messages", nameof(input));
    }

    private int tokenizations;

    /// <summary>For tests: how many prompts or conversations <see cref="Tokenize(GenerationInput, int)"/> tokenized.</summary>
    internal int Tokenizations => Volatile.Read(ref tokenizations);

    // The ids of an encoding that kept every token (null: it was cut at the max length, so the text has more).
    private static int[]? Within(Skald.Tokenizers.Encoding encoding) => encoding.Truncated ? null : encoding.Ids;

    /// <summary>
    /// Generates for every prompt (token ids, e.g. from <see cref="Tokenize(GenerationInput)"/>) in the batches of <see cref="Batches"/>;
    /// <paramref name="onText"/> (input index, new text) streams each row's text as it grows.
    /// </summary>
    /// <remarks>
    /// Throws <see cref="ArgumentNullException"/> for null <paramref name="prompts"/> or <paramref name="options"/>,
    /// <see cref="ArgumentException"/> naming <paramref name="prompts"/> for a null or empty prompt or one the context
    /// cannot hold and naming <paramref name="options"/> for an invalid option (<see cref="GenerationOptions.Validate"/>),
    /// <see cref="ArgumentOutOfRangeException"/> for a <paramref name="batchSize"/> below 1 and
    /// <see cref="ObjectDisposedException"/> once disposed. Calls from several threads take turns (one KV cache).
    /// <paramref name="cancellationToken"/> is looked at before anything is done and before each new token of a batch:
    /// once it is cancelled the batch stops at its next step and <see cref="OperationCanceledException"/> is thrown
    /// with that token (the generator stays usable).
    /// </remarks>
    public GenerationResult[] Generate(IReadOnlyList<int[]> prompts, GenerationOptions options, int batchSize = 8,
        Action<int, string>? onText = null, CancellationToken cancellationToken = default)
    {
        CheckPrompts(prompts);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate(nameof(options));
        var batches = Batches(prompts, batchSize);
        cancellationToken.ThrowIfCancellationRequested();
        Func<int, bool>? abandoned = cancellationToken.CanBeCanceled ? _ => cancellationToken.IsCancellationRequested : null;
        Enter();
        try
        {
            var results = new GenerationResult[prompts.Count];
            foreach (var rows in batches)
            {
                var outs = DecodeBatch(prompts, rows, options, onText, abandoned);
                cancellationToken.ThrowIfCancellationRequested(); // (an abandoned batch's results are cut short)
                for (int b = 0; b < rows.Length; b++) results[rows[b]] = outs[b];
            }
            return results;
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>
    /// The batches <see cref="Generate"/> decodes, as input row indices: the rows ordered by prompt length (ties in input
    /// order), cut every <paramref name="batchSize"/>. The plan depends only on the prompts' lengths and the batch size.
    /// A row's tokens do not depend on the sampling of its batch mates (each has its own stream), but its floating-point
    /// sums do depend on the batch: left padding to a longer prompt, or a prefill of more rows, takes other GEMM and
    /// attention paths whose sums round differently (~1e-6), which can flip a near-tie. A run that is resumed decodes the
    /// same batches to give the same bytes.
    /// </summary>
    public static int[][] Batches(IReadOnlyList<int[]> prompts, int batchSize)
    {
        CheckPrompts(prompts);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        var order = Enumerable.Range(0, prompts.Count).OrderBy(i => prompts[i].Length).ToArray();
        return [.. order.Chunk(batchSize)];
    }

    /// <summary>
    /// Decodes the prompts <paramref name="rows"/> (input indices into <paramref name="prompts"/>, e.g. one of
    /// <see cref="Batches"/>) as one left-padded batch; result b is row <paramref name="rows"/>[b]'s. Input row i samples
    /// from the stream seeded by i, whatever batch it lands in. <paramref name="onText"/> (input index, new text) streams
    /// each row's text as it grows.
    /// </summary>
    /// <remarks>
    /// Throws as <see cref="Generate"/> does, and <see cref="ArgumentNullException"/> for null <paramref name="rows"/> and
    /// <see cref="ArgumentOutOfRangeException"/> naming it for a row that is not an index into <paramref name="prompts"/>.
    /// </remarks>
    public GenerationResult[] GenerateBatch(IReadOnlyList<int[]> prompts, IReadOnlyList<int> rows, GenerationOptions options,
        Action<int, string>? onText = null)
    {
        CheckPrompts(prompts);
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(options);
        foreach (int row in rows)
        {
            if ((uint)row >= (uint)prompts.Count)
                throw new ArgumentOutOfRangeException(nameof(rows), $"row {row} is not an index into the {prompts.Count} prompts");
        }
        Enter();
        try
        {
            return DecodeBatch(prompts, rows, options, onText);
        }
        finally
        {
            Exit();
        }
    }

    private GenerationResult[] DecodeBatch(IReadOnlyList<int[]> prompts, IReadOnlyList<int> rows, GenerationOptions options,
        Action<int, string>? onText, Func<int, bool>? abandoned = null)
    {
        var batch = rows.Select(i => (IReadOnlyList<int>)prompts[i]).ToArray();
        return generator.Generate(batch, [.. rows.Select(_ => options)], rows, TextStreams(rows.Count, b => rows[b], _ => options, onText),
            abandoned);
    }

    /// <summary>
    /// Generates for <paramref name="prompts"/> as one batch, each row with its own options (a server's concurrent
    /// requests; <see cref="Generator.Generate(IReadOnlyList{IReadOnlyList{int}}, IReadOnlyList{GenerationOptions}, IReadOnlyList{int}?, Action{int, int}?, Func{int, bool}?, Action{int, GenerationResult}?, ContinuousBatching?, Action{int, TokenLogProbs}?)"/>):
    /// every row samples from its own seed's first stream, as a single prompt does. <paramref name="onText"/> (row, new
    /// text) streams each row's text as it grows; <paramref name="finished"/> hears of each row as soon as it is done, and
    /// a row <paramref name="abandoned"/> says is gone stops at the next step. With <paramref name="joining"/> requests
    /// join the running batch in free rows (their text streams afresh under their row's number).
    /// <paramref name="onLogProbs"/> (row, entry) hears each token's log-probabilities, for the rows whose options ask
    /// for them, before the text the token adds (if any) reaches <paramref name="onText"/>.
    /// </summary>
    public GenerationResult[] GenerateTogether(IReadOnlyList<int[]> prompts, IReadOnlyList<GenerationOptions> options,
        Action<int, string>? onText = null, Func<int, bool>? abandoned = null, Action<int, GenerationResult>? finished = null,
        ContinuousBatching? joining = null, Action<int, TokenLogProbs>? onLogProbs = null)
    {
        CheckPrompts(prompts);
        ArgumentNullException.ThrowIfNull(options);
        Enter();
        try
        {
            return DecodeTogether(prompts, options, onText, abandoned, finished, joining, onLogProbs);
        }
        finally
        {
            Exit();
        }
    }

    private GenerationResult[] DecodeTogether(IReadOnlyList<int[]> prompts, IReadOnlyList<GenerationOptions> options,
        Action<int, string>? onText, Func<int, bool>? abandoned, Action<int, GenerationResult>? finished,
        ContinuousBatching? joining, Action<int, TokenLogProbs>? onLogProbs)
    {
        int rows = Math.Max(prompts.Count, joining?.Rows ?? 0);
        var streams = onText is null ? null : new TextStream[rows];
        if (joining is not null && streams is not null)
        {
            var next = joining.Next;
            joining = joining with
            {
                Next = (row, promptRoom, newRoom) =>
                {
                    var join = next(row, promptRoom, newRoom);
                    if (join is not null) streams[row] = new TextStream(DecoderOf(join.Options));
                    return join;
                },
            };
        }
        return generator.Generate([.. prompts.Select(p => (IReadOnlyList<int>)p)], options, new int[prompts.Count],
            TextStreams(streams, b => b, b => b < options.Count ? options[b] : null, onText), abandoned, finished, joining, onLogProbs);
    }

    // Null prompts, or a null prompt among them, named as the callers' parameter.
    private static void CheckPrompts(IReadOnlyList<int[]> prompts)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        for (int i = 0; i < prompts.Count; i++)
        {
            if (prompts[i] is null) throw new ArgumentException($"prompt {i} is null", nameof(prompts));
        }
    }

    // Per-token callbacks that decode each batch row's ids so far and pass on its new text as (rowOf(b), delta).
    // (optionsOf(b): batch row b's options; null for a free row, which a joining request's stream takes.)
    private Action<int, int>? TextStreams(int rows, Func<int, int> rowOf, Func<int, GenerationOptions?> optionsOf, Action<int, string>? onText) =>
        TextStreams(onText is null ? null : new TextStream[rows], rowOf, optionsOf, onText);

    private Action<int, int>? TextStreams(TextStream[]? streams, Func<int, int> rowOf, Func<int, GenerationOptions?> optionsOf, Action<int, string>? onText)
    {
        if (onText is null || streams is null) return null;
        for (int b = 0; b < streams.Length; b++) streams[b] ??= new TextStream(optionsOf(b) is { } o ? DecoderOf(o) : DecodeText);
        return (b, id) =>
        {
            string delta = streams[b].Push(id);
            if (delta.Length > 0) onText(rowOf(b), delta);
        };
    }

    /// <summary>The text a row's ids decode to so far, released only up to a complete character.</summary>
    private sealed class TextStream(Func<IReadOnlyList<int>, string> decode)
    {
        private readonly List<int> ids = [];
        private int emitted;

        public string Push(int id)
        {
            ids.Add(id);
            string text = decode(ids);
            if (text.Length > 0 && text[^1] == '\uFFFD') return ""; // an incomplete UTF-8 sequence so far
            if (text.Length <= emitted) return "";
            string delta = text[emitted..];
            emitted = text.Length;
            return delta;
        }
    }
}
