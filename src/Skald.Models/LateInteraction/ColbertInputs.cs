using Skald.Models.Architectures;
using Skald.Models.Modules;
using Skald.Tokenizers;

namespace Skald.Models.LateInteraction;

/// <summary>
/// How a ColBERT model's texts become its inputs and which of their tokens give vectors, as PyLate's
/// <c>ColBERT.tokenize</c> and <c>encode</c> (and its losses' skiplist masks) decide: the one definition that
/// <see cref="ColbertEncoder"/> (inference) and training share.
/// </summary>
/// <remarks>
/// A text is stripped (lower-cased when sentence_bert_config.json says do_lower_case), tokenized with special tokens
/// and cut to length − 1, and the prefix token put after its first token. A query with expansion is padded to
/// query_length with the mask token, whose vectors are kept; those tokens attend to the text but the text does not
/// attend to them unless attend_to_expansion_tokens. A document keeps the vectors of its tokens that are not in the
/// skiplist (a skiplist word the vocabulary lacks stands for the unknown token, as transformers' convert_tokens_to_ids).
/// Upstream: https://github.com/lightonai/pylate/blob/1f1f47cee5df35ebe6fd2286a0a205a1523e4119/pylate/models/colbert.py
/// </remarks>
public sealed class ColbertInputs
{
    private readonly ModelFolder folder;
    private readonly int? queryPrefixId, documentPrefixId;
    private readonly int expansionId;
    private readonly HashSet<int> skiplist;

    private ColbertInputs(ModelFolder folder, Tokenizer tokenizer, ColbertSettings settings, int? queryPrefixId, int? documentPrefixId,
        int expansionId, HashSet<int> skiplist, int padId)
    {
        this.folder = folder;
        Tokenizer = tokenizer;
        Settings = settings;
        this.queryPrefixId = queryPrefixId;
        this.documentPrefixId = documentPrefixId;
        this.expansionId = expansionId;
        this.skiplist = skiplist;
        PadId = padId;
    }

    /// <summary>The tokenizer.</summary>
    public Tokenizer Tokenizer { get; }

    /// <summary>The settings the texts are prepared with.</summary>
    public ColbertSettings Settings { get; }

    /// <summary>The id batches are padded with (attention 0 beyond a text's tokens).</summary>
    public int PadId { get; }

    /// <summary>
    /// The inputs of <paramref name="folder"/>'s model under <paramref name="settings"/>: prefixes and the mask token
    /// looked up in <paramref name="tokenizer"/>, lengths checked against <paramref name="transformer"/>'s positions.
    /// Errors are one-line <see cref="ModelFormatException"/>s naming config_sentence_transformers.json and the key, or
    /// <paramref name="keyPrefix"/> and the key when the settings came from elsewhere (a training config's <c>model.</c>).
    /// </summary>
    public static ColbertInputs Create(ModelFolder folder, Tokenizer tokenizer, ColbertSettings settings, ITransformer transformer, string? keyPrefix = null)
    {
        ArgumentNullException.ThrowIfNull(folder);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(transformer);
        string file = Path.Combine(folder.Path, ColbertSettings.FileName);
        string Key(string key) => keyPrefix is null ? $"{file}: key \"{key}\"" : keyPrefix + key;
        foreach (var (key, length) in new[] { ("query_length", settings.QueryLength), ("document_length", settings.DocumentLength) })
        {
            if (length > transformer.MaxSequenceLength)
                throw new ModelFormatException($"{Key(key)} is {length}, more tokens than the model's {transformer.MaxSequenceLength} positions");
        }
        int? expansion = tokenizer.TokenToId("[MASK]") ?? tokenizer.TokenToId("<mask>");
        if (expansion is null && settings.DoQueryExpansion)
            throw new ModelFormatException($"{Key("do_query_expansion")} is true but the tokenizer has no [MASK] or <mask> token to expand queries with");
        var skip = new HashSet<int>();
        foreach (string word in settings.SkiplistWords)
        {
            if ((tokenizer.TokenToId(word) ?? tokenizer.UnknownTokenId) is int id) skip.Add(id);
        }
        int padId = tokenizer.PadTokenId ?? transformer.Config.PadTokenId;
        return new ColbertInputs(folder, tokenizer, settings,
            PrefixId(tokenizer, settings.QueryPrefix, Key("query_prefix")), PrefixId(tokenizer, settings.DocumentPrefix, Key("document_prefix")),
            expansion ?? padId, skip, padId);
    }

    // A prefix is one token of the vocabulary (PyLate adds it to the tokenizer; a saved model's tokenizer.json has it).
    private static int? PrefixId(Tokenizer tokenizer, string prefix, string where) =>
        prefix.Length == 0 ? null
            : tokenizer.TokenToId(prefix) ?? throw new ModelFormatException(
                $"{where} names the token \"{prefix}\", which the tokenizer does not have (PyLate adds it to tokenizer.json when it saves a model)");

    /// <summary>
    /// The token ids of each text as the model reads them, their type ids and attention mask (0: a query's expansion
    /// token that the text does not attend to): PyLate's <c>tokenize</c> without padding.
    /// </summary>
    public IReadOnlyList<(int[] Ids, int[] TypeIds, int[] Mask)> Tokenize(IReadOnlyList<string> texts, bool isQuery)
    {
        ArgumentNullException.ThrowIfNull(texts);
        int? prefix = isQuery ? queryPrefixId : documentPrefixId;
        int cut = PaddedLength(isQuery) - (prefix is null ? 0 : 1);
        bool expand = isQuery && Settings.DoQueryExpansion;
        int expansionMask = Settings.AttendToExpansionTokens ? 1 : 0;
        var result = new (int[], int[], int[])[texts.Count];
        for (int i = 0; i < texts.Count; i++)
        {
            if (texts[i] is null) throw new ArgumentException($"text {i} is null", nameof(texts));
            var e = Tokenizer.Encode(folder.PrepareText(texts[i]), true, cut);
            var ids = new List<int>(e.Ids);
            var types = new List<int>(e.TypeIds);
            var mask = Enumerable.Repeat(1, ids.Count).ToList();
            for (; expand && ids.Count < cut; mask.Add(expansionMask))
            {
                ids.Add(expansionId);
                types.Add(0);
            }
            if (prefix is int p)
            {
                int at = Math.Min(1, ids.Count);
                ids.Insert(at, p);
                types.Insert(at, 0);
                mask.Insert(at, 1);
            }
            result[i] = ([.. ids], [.. types], [.. mask]);
        }
        return result;
    }

    /// <summary>
    /// <see cref="Tokenize(IReadOnlyList{string}, bool)"/> of each text with <paramref name="prompt"/> written before it
    /// (null or "": none): the one place a ColBERT's prompt goes, an inference prompt (PyLate's <c>encode</c>) and a
    /// training prompt (<c>training.prompts</c>; PyLate's <c>ColBERTCollator</c>, sentence-transformers' training prompts) alike.
    /// Both join prompt and text before <c>tokenize</c>, so the prefix token lands after the first token and before the
    /// prompt's tokens ([CLS] [Q] prompt text [SEP]), and the prompt counts toward query_length / document_length.
    /// Upstream: https://github.com/lightonai/pylate/blob/1f1f47cee5df35ebe6fd2286a0a205a1523e4119/pylate/utils/collator.py
    /// (ColBERTCollator.__call__) and pylate/models/colbert.py (encode, tokenize) at the same commit.
    /// </summary>
    public IReadOnlyList<(int[] Ids, int[] TypeIds, int[] Mask)> Tokenize(IReadOnlyList<string> texts, bool isQuery, string? prompt)
    {
        ArgumentNullException.ThrowIfNull(texts);
        if (string.IsNullOrEmpty(prompt)) return Tokenize(texts, isQuery);
        var prompted = new string[texts.Count];
        for (int i = 0; i < texts.Count; i++)
            prompted[i] = prompt + (texts[i] ?? throw new ArgumentException($"text {i} is null", nameof(texts)));
        return Tokenize(prompted, isQuery);
    }

    /// <summary>
    /// <paramref name="rows"/> (<see cref="Tokenize(IReadOnlyList{string}, bool)"/>'s, tokenized with
    /// <paramref name="isQuery"/>) each padded to <see cref="PaddedLength(bool)"/> as PyLate's training collator pads
    /// them (<c>padding="max_length"</c>, the prefix counted), with the mask token (PyLate's pad token when the tokenizer
    /// has one) under attention 0. Training needs it where PyLate's loss reads those positions: a first column tokenized
    /// as documents is the loss's query, all of whose positions count under do_query_expansion.
    /// </summary>
    public IReadOnlyList<(int[] Ids, int[] TypeIds, int[] Mask)> Pad(IReadOnlyList<(int[] Ids, int[] TypeIds, int[] Mask)> rows, bool isQuery)
    {
        ArgumentNullException.ThrowIfNull(rows);
        int length = PaddedLength(isQuery);
        var result = new (int[], int[], int[])[rows.Count];
        for (int i = 0; i < rows.Count; i++)
        {
            var (ids, types, mask) = rows[i];
            int n = Math.Max(length, ids.Length);
            var padded = (new int[n], new int[n], new int[n]);
            ids.CopyTo(padded.Item1, 0);
            types.CopyTo(padded.Item2, 0);
            mask.CopyTo(padded.Item3, 0);
            Array.Fill(padded.Item1, expansionId, ids.Length, n - ids.Length);
            result[i] = padded;
        }
        return result;
    }

    /// <summary>
    /// The length PyLate's training collator pads a text to (<c>padding="max_length"</c>, the prefix included):
    /// query_length or document_length.
    /// </summary>
    public int PaddedLength(bool isQuery) => isQuery ? Settings.QueryLength : Settings.DocumentLength;

    /// <summary>
    /// Right-padded batch of <paramref name="rows"/> (<see cref="Tokenize(IReadOnlyList{string}, bool)"/>'s) with positions 0..T−1 on every row (HF's
    /// arange), which a query's expansion tokens need: they are masked as keys yet their states are read.
    /// </summary>
    public TokenBatch Batch(IReadOnlyList<(int[] Ids, int[] TypeIds, int[] Mask)> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        int seq = rows.Max(r => r.Ids.Length), n = rows.Count;
        var ids = new int[n * seq];
        var mask = new int[n * seq];
        var types = new int[n * seq];
        var positions = new int[n * seq];
        Array.Fill(ids, PadId);
        for (int b = 0; b < n; b++)
        {
            rows[b].Ids.CopyTo(ids, b * seq);
            rows[b].TypeIds.CopyTo(types, b * seq);
            rows[b].Mask.CopyTo(mask, b * seq);
            for (int t = 0; t < seq; t++) positions[b * seq + t] = t;
        }
        return new TokenBatch(ids, mask, types, n, seq) { PositionIds = positions };
    }

    /// <summary>
    /// Whether the token <paramref name="id"/> with attention <paramref name="mask"/> gives a vector: a query's every
    /// token with expansion, else its attended ones; a document's attended tokens not in the skiplist.
    /// </summary>
    public bool Keeps(int id, int mask, bool isQuery) =>
        isQuery ? Settings.DoQueryExpansion || mask != 0 : mask != 0 && !skiplist.Contains(id);

    /// <summary>Whether a pass over queries must compute rows it masks (expansion tokens give vectors attended to or not): then it runs padded.</summary>
    public bool ReadsMaskedRows(bool isQuery) => isQuery && Settings.DoQueryExpansion;
}
