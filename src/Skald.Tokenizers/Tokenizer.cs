using System.Text.Json;
using Skald.Tokenizers.Core;
using Skald.Tokenizers.Decoders;
using Skald.Tokenizers.Models;
using Skald.Tokenizers.Normalizers;
using Skald.Tokenizers.PreTokenizers;
using Skald.Tokenizers.Processors;
using Skald.Tokenizers.Serialization;

namespace Skald.Tokenizers;

/// <summary>
/// A tokenizer loaded from a Hugging Face tokenizer.json, producing the same ids, tokens and
/// offsets as HF tokenizers: added tokens are extracted first, then normalizer, pre-tokenizer,
/// model, truncation and post-processor run as in HF. Thread-safe: instances are immutable.
/// </summary>
public sealed partial class Tokenizer
{
    private readonly INormalizer? _normalizer;
    private readonly IPreTokenizer? _preTokenizer;
    private readonly IModel _model;
    private readonly IPostProcessor? _postProcessor;
    private readonly IDecoder? _decoder;
    private readonly AddedVocabulary _added;

    private Tokenizer(INormalizer? normalizer, IPreTokenizer? preTokenizer, IModel model, IPostProcessor? postProcessor,
        AddedVocabulary added, string? padToken, int? padId, int? truncationMaxLength, IDecoder? decoder = null, TruncationOptions? truncation = null,
        PaddingSide paddingSide = PaddingSide.Right, string? namedPadToken = null)
    {
        _decoder = decoder;
        PaddingSide = paddingSide;
        Truncation = truncation;
        _normalizer = normalizer;
        _preTokenizer = preTokenizer;
        _model = model;
        _postProcessor = postProcessor;
        _added = added;
        _fast = CreateFastPath(normalizer, preTokenizer, model);
        _byteLevelFast = _fast is null ? ByteLevelBpeFastPath.TryCreate(normalizer, preTokenizer, model) : null;
        _unigramFast = _fast is null && _byteLevelFast is null ? UnigramFastPath.TryCreate(normalizer, preTokenizer, model) : null;
        (_fastTemplate, _fastSpecials) = SingleTemplate(postProcessor);
        _prefixMode = PrefixCut.Analyze(normalizer, preTokenizer, model, added.Tokens);
        TruncationMaxLength = truncationMaxLength;
        if (namedPadToken is not null && TokenToId(namedPadToken) is int named)
        {
            padToken = namedPadToken;
            padId = named;
        }
        else if (padToken is null && padId is null)
        {
            foreach (var candidate in (string[])["[PAD]", "<pad>"])
            {
                if (TokenToId(candidate) is int id)
                {
                    padToken = candidate;
                    padId = id;
                    break;
                }
            }
        }
        else if (padId is null && padToken is not null)
        {
            padId = TokenToId(padToken);
        }
        else if (padToken is null && padId is int pid)
        {
            padToken = IdToToken(pid);
        }
        PadToken = padToken;
        PadTokenId = padId;
        int extra = added.Tokens.Count(t => _model.TokenToId(t.Content) is null);
        VocabSize = _model.VocabSize + extra;
        IdBound = Math.Max(_model.IdBound, added.Tokens.Count == 0 ? 0 : added.Tokens.Max(t => t.Id) + 1);
    }

    /// <summary>Loads a tokenizer.json file.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="TokenizerException">The file is not a valid or supported tokenizer.json (message names the file and the part), or not UTF-8 (the line and byte offset).</exception>
    public static Tokenizer FromFile(string path) => FromJson(ReadText(path), path);

    /// <summary>
    /// Loads a Hugging Face model folder's tokenizer.json with the pad token transformers' AutoTokenizer pads batches
    /// with: the one tokenizer_config.json, else special_tokens_map.json, names (<see cref="NamedPadToken"/>), else
    /// tokenizer.json's padding section's, else a [PAD] or &lt;pad&gt; token of the vocabulary (see <see cref="PadTokenId"/>).
    /// A named pad token the vocabulary lacks is passed over (transformers would add it as a new token, one the model
    /// has no embedding row for; <c>skald merge</c> refuses it for a decoder classifier's config).
    /// </summary>
    /// <exception cref="FileNotFoundException">The folder has no tokenizer.json.</exception>
    /// <exception cref="TokenizerException">A file is not valid (the message names it).</exception>
    public static Tokenizer FromFolder(string folder)
    {
        ArgumentNullException.ThrowIfNull(folder);
        string path = Path.Combine(folder, "tokenizer.json");
        return Parse(ReadText(path), path, NamedPadToken.Read(folder)?.Token);
    }

    // A tokenizer file's text, strictly UTF-8 (a vocabulary read with U+FFFD would differ from the file).
    private static string ReadText(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"tokenizer file not found: {path}", path);
        try
        {
            return Utf8File.ReadAllText(path, m => new TokenizerException(m));
        }
        catch (IOException ex)
        {
            throw new TokenizerException($"{path}: cannot read ({ex.Message})", ex);
        }
    }

    /// <summary>Loads a tokenizer from tokenizer.json content; <paramref name="sourceName"/> is used in error messages.</summary>
    /// <exception cref="TokenizerException">Invalid or unsupported content.</exception>
    public static Tokenizer FromJson(string json, string sourceName = "tokenizer.json") => Parse(json, sourceName, null);

    // tokenizer.json content, padded with `namedPadToken` when given and a token of it (instead of its padding section's).
    private static Tokenizer Parse(string json, string sourceName, string? namedPadToken)
    {
        ArgumentNullException.ThrowIfNull(json);
        var doc = JsonFile.Parse(json, sourceName, m => new TokenizerException(m),
            new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip, MaxDepth = 256 });
        using (doc)
        {
            var r = new JsonReader(sourceName);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new TokenizerException($"{sourceName}: expected a JSON object at the top level");
            try
            {
                var normalizer = JsonReader.TryGet(root, "normalizer", out var n) ? ComponentFactory.Normalizer(r, n, "normalizer") : null;
                var pre = JsonReader.TryGet(root, "pre_tokenizer", out var p) ? ComponentFactory.PreTokenizer(r, p, "pre_tokenizer") : null;
                if (!JsonReader.TryGet(root, "model", out var m)) throw new TokenizerException($"{sourceName}: missing \"model\"");
                var model = ComponentFactory.Model(r, m, "model");
                var post = JsonReader.TryGet(root, "post_processor", out var pp) ? ComponentFactory.PostProcessor(r, pp, "post_processor") : null;
                var decoder = JsonReader.TryGet(root, "decoder", out var de) ? ComponentFactory.Decoder(r, de, "decoder") : null;
                var addedTokens = ComponentFactory.AddedTokens(r, root);
                var added = new AddedVocabulary(addedTokens, normalizer);
                string? padToken = null;
                int? padId = null, truncation = null;
                var paddingSide = PaddingSide.Right;
                if (JsonReader.TryGet(root, "padding", out var pad))
                {
                    padToken = r.String(pad, "pad_token", "padding");
                    padId = r.Int(pad, "pad_id", "padding");
                    paddingSide = r.String(pad, "direction", "padding") switch
                    {
                        null or "Right" or "right" => PaddingSide.Right,
                        "Left" or "left" => PaddingSide.Left,
                        var d => throw r.Error("padding.direction", $"unknown padding direction \"{d}\""),
                    };
                }
                TruncationOptions? truncationOptions = null;
                if (JsonReader.TryGet(root, "truncation", out var tr))
                {
                    truncation = r.Int(tr, "max_length", "truncation");
                    truncationOptions = ParseTruncation(r, tr, truncation ?? 0);
                }
                return new Tokenizer(normalizer, pre, model, post, added, padToken, padId, truncation, decoder, truncationOptions, paddingSide, namedPadToken);
            }
            catch (InvalidOperationException ex)
            {
                throw new TokenizerException($"{sourceName}: unexpected JSON value ({ex.Message})", ex);
            }
        }
    }

    /// <summary>
    /// The side tokenizer.json's <c>padding.direction</c> names (Right when it has no padding section). transformers
    /// uses it as the default of <c>padding_side</c>, which tokenizer_config.json overrides.
    /// </summary>
    public PaddingSide PaddingSide { get; }

    /// <summary>Vocabulary size including added tokens that are not in the model's vocabulary (HF's get_vocab_size(true)).</summary>
    public int VocabSize { get; }

    /// <summary>
    /// One more than the largest id the tokenizer can produce (model vocabulary and added tokens): the rows a model's
    /// embedding table needs.
    /// </summary>
    public int IdBound { get; }

    /// <summary>The model type: "WordPiece", "Unigram", ...</summary>
    public string ModelKind => _model.Kind;

    /// <summary>
    /// Padding id: the pad token a folder's tokenizer_config.json or special_tokens_map.json names
    /// (<see cref="FromFolder"/>), else the padding section's if present, else a [PAD] or &lt;pad&gt; token in the vocabulary.
    /// </summary>
    public int? PadTokenId { get; }

    /// <summary>Padding token, see <see cref="PadTokenId"/>.</summary>
    public string? PadToken { get; }

    /// <summary>max_length of the tokenizer.json truncation section, if any (not applied automatically; pass it as maxLength).</summary>
    public int? TruncationMaxLength { get; }

    /// <summary>The full truncation section of tokenizer.json, if any (not applied automatically).</summary>
    public TruncationOptions? Truncation { get; }

    /// <summary>Id of a token (added tokens first, then the model vocabulary).</summary>
    public int? TokenToId(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        return _added.TryGetId(token, out int id) ? id : _model.TokenToId(token);
    }

    /// <summary>
    /// The id of the model's unknown token (HF's <c>get_vocab()[model.unk_token]</c>: WordPiece, BPE with an unk_token,
    /// WordLevel), or null when the model has none or it is not in the vocabulary (Unigram has an unk id but no unk_token).
    /// </summary>
    public int? UnknownTokenId => _model.UnkToken is { } unk ? TokenToId(unk) : null;

    /// <summary>Token of an id (added tokens first, then the model vocabulary).</summary>
    public string? IdToToken(int id) => _added.TryGetToken(id, out var t) ? t!.Content : _model.IdToToken(id);

    /// <summary>
    /// Encodes one text. When <paramref name="maxLength"/> &gt; 0 the tokens are truncated (right,
    /// longest_first) so the total including added special tokens is at most <paramref name="maxLength"/>.
    /// </summary>
    public Encoding Encode(string text, bool addSpecialTokens = true, int maxLength = 0)
    {
        ArgumentNullException.ThrowIfNull(text);
        return EncodeCore(text, null, addSpecialTokens, maxLength);
    }

    /// <summary>Encodes a pair of texts (second sequence has type id 1 where the post-processor says so).</summary>
    public Encoding EncodePair(string a, string b, bool addSpecialTokens = true, int maxLength = 0)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        return EncodeCore(a, b, addSpecialTokens, maxLength);
    }

    /// <summary>
    /// Encodes many texts, in parallel when the batch is large enough to profit (see <see cref="Core.ParallelBatch"/>;
    /// a small batch runs on the calling thread); the result order matches the input order.
    /// </summary>
    public IReadOnlyList<Encoding> EncodeBatch(IReadOnlyList<string> texts, bool addSpecialTokens = true, int maxLength = 0)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var results = new Encoding[texts.Count];
        ForEachText(texts.Count, i => texts[i]?.Length ?? 0, i => results[i] = Encode(texts[i], addSpecialTokens, maxLength));
        return results;
    }

    /// <summary>Most threads a batch may use; 0: the processor count. Set it before sharing the instance (tests use 1 and 2).</summary>
    internal int MaxBatchThreads { get; set; }

    /// <summary>Runs <paramref name="body"/> for each item of a batch (sizes in chars from <paramref name="chars"/>) on up to <see cref="MaxBatchThreads"/> threads.</summary>
    private void ForEachText(int count, Func<int, int> chars, Action<int> body) =>
        Core.ParallelBatch.Run(count, chars, body, MaxBatchThreads);

    private Encoding EncodeCore(string a, string? b, bool addSpecialTokens, int maxLength) =>
        (b is null && maxLength <= 0 ? TryFastEncode(a, addSpecialTokens) : null)
        ?? EncodeCore(a, b, addSpecialTokens, maxLength > 0 ? new TruncationOptions(maxLength) : null, bounded: true);

    /// <summary>
    /// Encodes, truncates and post-processes; <paramref name="bounded"/> (the max-length overloads) reads a long text
    /// only as far as the kept tokens need (<see cref="EncodeSequenceBounded"/>), the full options overloads read it all.
    /// </summary>
    private Encoding EncodeCore(string a, string? b, bool addSpecialTokens, TruncationOptions? truncation, bool bounded = false)
    {
        // A pair's longest-first split compares the two token counts: each must then be the whole text's early cut; with
        // only_first (only_second) the other sequence's count decides how many of the truncated one's tokens are kept.
        var strategy = truncation?.Strategy ?? TruncationStrategy.LongestFirst;
        var ea = bounded && truncation is not null ? EncodeSequenceBounded(a, 0, truncation, exactCount: b is not null && strategy != TruncationStrategy.OnlyFirst) : EncodeSequence(a, 0, truncation);
        var eb = b is null ? null : bounded && truncation is not null ? EncodeSequenceBounded(b, 1, truncation, exactCount: strategy != TruncationStrategy.OnlySecond) : EncodeSequence(b, 1, truncation);
        return Complete(ea, eb, a, b, addSpecialTokens, truncation);
    }

    /// <summary>
    /// Encodes one sequence. With <paramref name="truncation"/>, only whole pre-tokenized words are kept
    /// until max_length tokens are reached (from the start, or from the end for left truncation) —
    /// the oracle's early cut, which also bounds the overflowing parts.
    /// </summary>
    internal RawEncoding EncodeSequence(string text, int sequenceId, TruncationOptions? truncation = null)
    {
        if (TryFastSequence(text, truncation, out var fast)) return ToRaw(fast, sequenceId);
        var pts = _added.ExtractAndNormalize(text, _normalizer);
        _preTokenizer?.PreTokenize(pts);
        var enc = new RawEncoding(text.Length / 3 + 4);
        var tokens = new List<Token>();
        var splits = pts.Splits;
        int limit = truncation is { MaxLength: > 0 } ? truncation.MaxLength : int.MaxValue;
        bool fromEnd = truncation?.Direction == TruncationDirection.Left && limit != int.MaxValue;
        int first = 0;
        if (fromEnd)
        {
            // Tokenize from the last word backwards until the limit is reached.
            int count = 0;
            first = splits.Count;
            while (first > 0 && count < limit)
            {
                first--;
                count += TokensOf(splits[first], tokens).Count;
            }
            limit = int.MaxValue;
        }
        int k = first;
        for (; k < splits.Count && enc.Count < limit; k++)
        {
            var split = splits[k];
            var ns = split.Normalized;
            List<Token> pieceTokens;
            if (split.Tokens is not null || fromEnd)
            {
                pieceTokens = TokensOf(split, tokens);
            }
            else
            {
                // Forward pass: each piece is tokenized once, into one reused list.
                tokens.Clear();
                _model.Tokenize(ns.Span, tokens);
                pieceTokens = tokens;
            }
            foreach (var tok in pieceTokens)
                enc.Add(tok.Id, tok.Value, ns.ToOriginal(tok.Start, tok.End), sequenceId, 0, sequenceId);
        }
        // An early cut exactly at max_length holds no overflow (HF's behaviour, kept); whether the text goes on is
        // learnt from the pieces left out, up to the first that gives a token (at most one piece in practice).
        if (truncation is { MaxLength: > 0 } && enc.Count == truncation.MaxLength)
            enc.Truncated = fromEnd ? AnyTokens(splits, 0, first, true, tokens) : AnyTokens(splits, k, splits.Count, false, tokens);
        return enc;
    }

    /// <summary>
    /// True when one of <paramref name="splits"/>[<paramref name="from"/>, <paramref name="to"/>) gives a token, looking
    /// from the kept ones outwards (<paramref name="backward"/>: from the last, for left truncation).
    /// </summary>
    private bool AnyTokens(List<Split> splits, int from, int to, bool backward, List<Token> scratch)
    {
        for (int i = 0; i < to - from; i++)
        {
            var split = splits[backward ? to - 1 - i : from + i];
            if (split.Tokens is { } known ? known.Count > 0 : Tokenized(split, scratch) > 0) return true;
        }
        return false;
    }

    private int Tokenized(Split split, List<Token> scratch)
    {
        scratch.Clear();
        _model.Tokenize(split.Normalized.Span, scratch);
        return scratch.Count;
    }

    private List<Token> TokensOf(Split split, List<Token> scratch)
    {
        if (split.Tokens is not null) return split.Tokens;
        var list = new List<Token>();
        _model.Tokenize(split.Normalized.Span, list);
        split.Tokens = list;
        _ = scratch;
        return list;
    }
}
