using System.Globalization;
using System.Text.Json;
using Skald.Data.Generation;

namespace Skald.Data.Negatives;

/// <summary>
/// Hard-negative mining with the contract of sentence-transformers' <c>mine_hard_negatives</c>
/// (sentence_transformers/util/hard_negatives.py, read at huggingface/sentence-transformers
/// 0370a4e90eb06addf9621af076d1fb2d29b00fd2, which has the sign-independent relative margin of #3821; restated in
/// fixtures/mining/make_hard_negative_reference.py): the corpus is the positives (plus an optional extra corpus) without
/// duplicates; repeated anchors are one query whose positives are its rows' distinct positives; each query's best
/// RangeMax + (most rows of one anchor) candidates are scored; its positives are not candidates (unless
/// <see cref="MiningOptions.IncludePositives"/>); the margins compare with the query's lowest positive score; the
/// remaining candidates are ranked, the first RangeMin skipped, and NumNegatives taken from the top or at random.
/// Unlike the original, "the same text" is compared case-, punctuation- and whitespace-insensitively
/// (<see cref="PairFilter.Key"/>), so a positive written slightly differently is never a negative, and a passage equal
/// to the anchor is never its negative (the original would take it: a text as its own negative).
/// </summary>
public static class HardNegativeMiner
{
    /// <summary>Mines negatives for <paramref name="pairs"/>.</summary>
    /// <param name="pairs">(anchor, positive) rows.</param>
    /// <param name="columns">The names of the anchor and positive columns (kept in the output).</param>
    /// <param name="scorer">Embedding model or BM25.</param>
    /// <param name="options">Mining parameters.</param>
    /// <param name="extraCorpus">More passages to draw negatives from.</param>
    public static MinedData Mine(IReadOnlyList<(string Anchor, string Positive)> pairs, (string Anchor, string Positive) columns,
        ICandidateScorer scorer, MiningOptions options, IReadOnlyList<string>? extraCorpus = null)
    {
        if (pairs.Count == 0) throw new DataException("no (anchor, positive) pairs to mine negatives for");
        if (options.Margins && options.Format is MiningFormat.LabeledPair or MiningFormat.LabeledList) throw new DataException("margins are written for the triplet and n-tuple formats");
        if (options.IncludePositives && options.Format != MiningFormat.NTuple) throw new DataException("include_positives writes the n-tuple format (the ranking in order)");
        if (options.Margins && options.Scores) throw new DataException("write margins or scores, not both");
        ArgumentOutOfRangeException.ThrowIfLessThan(options.NumNegatives, 1);
        if (options.RangeMax is { } asked && asked - options.RangeMin < options.NumNegatives)
            throw new DataException(string.Create(CultureInfo.InvariantCulture,
                $"range_max {asked} leaves {Math.Max(0, asked - options.RangeMin)} candidates after range_min {options.RangeMin}, fewer than num_negatives {options.NumNegatives}"));
        // Corpus: extra passages then positives (the function's order, which torch.topk's order of equal scores depends
        // on), one entry per key; an extra passage that is a positive written differently is shown as the positive.
        var corpus = new List<string>();
        var corpusIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        var positiveRows = new HashSet<int>();
        foreach (var t in extraCorpus ?? [])
        {
            if (!string.IsNullOrWhiteSpace(t) && corpusIndex.TryAdd(PairFilter.Key(t), corpus.Count)) corpus.Add(t);
        }
        foreach (var (_, p) in pairs)
        {
            string key = PairFilter.Key(p);
            if (corpusIndex.TryAdd(key, corpus.Count)) corpus.Add(p);
            if (positiveRows.Add(corpusIndex[key])) corpus[corpusIndex[key]] = p;
        }
        // Queries: unique anchors in first-seen order, with their distinct positives; the candidate depth counts rows.
        var queries = new List<string>();
        var queryIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        var positives = new List<List<int>>();
        var rowsOf = new List<int>();
        foreach (var (a, p) in pairs)
        {
            if (!queryIndex.TryGetValue(a, out int q)) { queryIndex[a] = q = queries.Count; queries.Add(a); positives.Add([]); rowsOf.Add(0); }
            rowsOf[q]++;
            int row = corpusIndex[PairFilter.Key(p)];
            if (!positives[q].Contains(row)) positives[q].Add(row);
        }
        int maxPositives = rowsOf.Max();
        bool filtered = options.AbsoluteMargin is not null || options.RelativeMargin is not null || options.MaxScore is not null;
        int rangeMax = options.RangeMax ?? options.RangeMin + options.NumNegatives * (filtered ? 10 : 1) + maxPositives;
        int k = Math.Min(corpus.Count, rangeMax + maxPositives);
        var (candidates, positiveScores) = scorer.Score(queries, corpus, [.. positives.Select(p => p.ToArray())], k);

        var removed = new Dictionary<string, int>(StringComparer.Ordinal);
        void Count(string rule) => removed[rule] = removed.GetValueOrDefault(rule) + 1;
        // random sampling: Python's random.sample after random.seed(Seed), as the function draws from the global generator
        // (hard_negatives.py, read at UKPLab/sentence-transformers 38126a6db2e60894d5ff47eec16aa5b016a15918)
        var random = options.Sampling == SamplingStrategy.Random ? new PythonRandom(options.Seed) : null;
        var drawn = new int[options.NumNegatives];
        var negatives = new List<(int Row, float Score)>[queries.Count];
        int anchorsShort = 0;
        // The function's second torch.topk: the candidates' scores in the first stage's order, the disqualified (and the
        // padding past a short list) at -inf, the best RangeMax of them in torch's order (which decides equal scores).
        var masked = new float[rangeMax + maxPositives];
        var ranked = new int[rangeMax];
        var scratch = new (float, int)[masked.Length];
        for (int q = 0; q < queries.Count; q++)
        {
            HashSet<int> own = options.IncludePositives ? [] : [.. positives[q]];
            int self = corpusIndex.TryGetValue(PairFilter.Key(queries[q]), out int at) ? at : -1;
            float minPositive = positiveScores[q].Min();
            var hits = candidates[q];
            if (hits.Length > masked.Length) throw new InvalidOperationException($"{scorer.Name} gave {hits.Length} candidates, asked for {k}");
            masked.AsSpan().Fill(float.NegativeInfinity);
            for (int c = 0; c < hits.Length; c++)
            {
                double s = hits[c].Score;
                string? rule = hits[c].Index == self ? "anchor"
                    : own.Contains(hits[c].Index) ? "positive"
                    : options.AbsoluteMargin is { } am && s + am > minPositive ? "absolute_margin"
                    : options.RelativeMargin is { } rm && s > minPositive - Math.Abs(minPositive) * rm ? "relative_margin"
                    : options.MaxScore is { } mx && s > mx ? "max_score"
                    : options.MinScore is { } mn && s < mn ? "min_score"
                    : null;
                if (rule is null) masked[c] = hits[c].Score;
                else Count(rule);
            }
            TorchTopK.Order(masked, ranked, scratch);
            // The window is ranks [RangeMin, RangeMax) of the qualifying ones, which come before every -inf.
            var window = ranked.Where(c => masked[c] != float.NegativeInfinity).Skip(options.RangeMin).Select(c => (hits[c].Index, hits[c].Score)).ToList();
            List<(int Row, float Score)> chosen;
            if (random is null) chosen = [.. window.Take(options.NumNegatives)];
            else
            {
                // every query draws, from at least NumNegatives places (those past the window are the function's -inf,
                // dropped later), and the drawn are sorted by score, descending (torch's sort keeps the order drawn
                // among equal scores for up to 16, as this stable sort does)
                random.Sample(Math.Max(window.Count, options.NumNegatives), drawn);
                chosen = [.. drawn.Where(i => i < window.Count).Select(i => window[i]).OrderByDescending(n => n.Score)];
            }
            if (chosen.Count < options.NumNegatives) anchorsShort++;
            negatives[q] = chosen;
        }
        return new MinedData(Columns(columns, options), Rows(queries, corpus, positives, positiveScores, negatives, options), removed, anchorsShort, rangeMax)
        {
            ListColumn = options.Format == MiningFormat.LabeledList ? columns.Positive : null,
        };
    }

    private static List<string> Columns((string Anchor, string Positive) c, MiningOptions options) => options.Format switch
    {
        MiningFormat.Triplet => [c.Anchor, c.Positive, "negative", .. Extra(options)],
        MiningFormat.LabeledPair => [c.Anchor, c.Positive, options.Scores ? "score" : "label"],
        MiningFormat.LabeledList => [c.Anchor, c.Positive, options.Scores ? "scores" : "labels"],
        _ => [c.Anchor, c.Positive, .. Enumerable.Range(1, options.NumNegatives).Select(i => $"negative_{i}"), .. Extra(options)],
    };

    // The column after the texts: margins as "label" (what margin_mse reads), scores as sentence-transformers names them.
    private static string[] Extra(MiningOptions options) => options.Margins ? ["label"] : options.Scores ? ["scores"] : [];

    private static List<string[]> Rows(List<string> queries, List<string> corpus, List<List<int>> positives, float[][] positiveScores,
        List<(int Row, float Score)>[] negatives, MiningOptions options)
    {
        var rows = new List<string[]>();
        for (int q = 0; q < queries.Count; q++)
        {
            var negs = negatives[q];
            switch (options.Format)
            {
                case MiningFormat.Triplet:
                    for (int i = 0; i < positives[q].Count; i++)
                    {
                        foreach (var n in negs)
                        {
                            string[] row = [queries[q], corpus[positives[q][i]], corpus[n.Row]];
                            rows.Add(options.Margins ? [.. row, Number(positiveScores[q][i] - n.Score)]
                                : options.Scores ? [.. row, List([positiveScores[q][i], n.Score])]
                                : row);
                        }
                    }
                    break;
                case MiningFormat.LabeledPair:
                    for (int i = 0; i < positives[q].Count; i++)
                        rows.Add([queries[q], corpus[positives[q][i]], options.Scores ? Number(positiveScores[q][i]) : "1"]);
                    foreach (var n in negs) rows.Add([queries[q], corpus[n.Row], options.Scores ? Number(n.Score) : "0"]);
                    break;
                case MiningFormat.LabeledList:
                    if (negs.Count == 0) break;
                    for (int i = 0; i < positives[q].Count; i++)
                        rows.Add([queries[q], JsonSerializer.Serialize<string[]>([corpus[positives[q][i]], .. negs.Select(n => corpus[n.Row])], TextListJson),
                            options.Scores ? List([positiveScores[q][i], .. negs.Select(n => n.Score)]) : List([1f, .. negs.Select(_ => 0f)])]);
                    break;
                default:
                    if (negs.Count < options.NumNegatives) break;
                    for (int i = 0; i < positives[q].Count; i++)
                    {
                        string[] row = [queries[q], corpus[positives[q][i]], .. negs.Select(n => corpus[n.Row])];
                        float positive = positiveScores[q][i];
                        rows.Add(options.Margins ? [.. row, List([.. negs.Select(n => positive - n.Score)])]
                            : options.Scores ? [.. row, List([positive, .. negs.Select(n => n.Score)])]
                            : row);
                    }
                    break;
            }
        }
        return rows;
    }

    /// <summary>A list of texts as JSON, non-ASCII letters as they are (as the JSONL writer writes texts).</summary>
    private static readonly JsonSerializerOptions TextListJson = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>A list label as the writer takes it: <c>[a, b, ...]</c>, each number round-tripping.</summary>
    private static string List(IEnumerable<float> values) => "[" + string.Join(", ", values.Select(Number)) + "]";

    private static string Number(float v) => v.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>The format names <see cref="ParseFormat"/> takes, as sentence-transformers' <c>output_format</c>.</summary>
    public static readonly string[] FormatNames = ["triplet", "n-tuple", "n-tuple-scores", "labeled-pair", "labeled-list"];

    /// <summary>
    /// The format's name on the command line / in a config; <c>n-tuple-scores</c> (sentence-transformers' older name
    /// for n-tuple with <c>output_scores</c>) is the n-tuple format with <paramref name="scores"/> set.
    /// </summary>
    public static MiningFormat ParseFormat(string s, out bool scores)
    {
        scores = s == "n-tuple-scores";
        return s switch
        {
            "triplet" => MiningFormat.Triplet,
            "n-tuple" or "n-tuple-scores" => MiningFormat.NTuple,
            "labeled-pair" => MiningFormat.LabeledPair,
            "labeled-list" => MiningFormat.LabeledList,
            _ => throw new DataException(string.Create(CultureInfo.InvariantCulture, $"unknown format '{s}' ({string.Join(", ", FormatNames)})")),
        };
    }
}
