using System.Globalization;
using System.Text.Json;
using Skald.Data.Generation;

namespace Skald.Data.Negatives;

/// <summary>
/// Hard-negative mining with the contract of sentence-transformers' <c>mine_hard_negatives</c>
/// (https://github.com/UKPLab/sentence-transformers/blob/85ec64559f4414aa536eca4bf53538291e0a333f/sentence_transformers/util/hard_negatives.py):
/// the corpus is the positives (plus an optional extra corpus) without duplicates; repeated anchors are one query whose
/// positives are all its rows' positives; each query's best RangeMax + (most positives) candidates are scored; its
/// positives are never candidates; the margins compare with the query's lowest positive score; the remaining candidates
/// are ranked, the first RangeMin skipped, and NumNegatives taken from the top or at random. Unlike the original,
/// "the same text" is compared case-, punctuation- and whitespace-insensitively (<see cref="PairFilter.Key"/>), so a
/// positive written slightly differently, or a passage equal to the anchor, is never a negative either.
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
        if (options.Scores && options.Format == MiningFormat.LabeledPair) throw new DataException("scores are written for the triplet, n-tuple and labeled-list formats");
        if (options.Margins && options.Scores) throw new DataException("write margins or scores, not both");
        ArgumentOutOfRangeException.ThrowIfLessThan(options.NumNegatives, 1);
        // Corpus: positives then extra passages, one entry per key.
        var corpus = new List<string>();
        var corpusIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        int Add(string text)
        {
            string key = PairFilter.Key(text);
            if (!corpusIndex.TryGetValue(key, out int i)) { corpusIndex[key] = i = corpus.Count; corpus.Add(text); }
            return i;
        }
        foreach (var (_, p) in pairs) Add(p);
        foreach (var t in extraCorpus ?? []) if (!string.IsNullOrWhiteSpace(t)) Add(t);
        // Queries: unique anchors in first-seen order, with every positive row of theirs.
        var queries = new List<string>();
        var queryIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        var positives = new List<List<int>>();
        foreach (var (a, p) in pairs)
        {
            if (!queryIndex.TryGetValue(a, out int q)) { queryIndex[a] = q = queries.Count; queries.Add(a); positives.Add([]); }
            positives[q].Add(corpusIndex[PairFilter.Key(p)]);
        }
        int maxPositives = positives.Max(p => p.Count);
        bool filtered = options.AbsoluteMargin is not null || options.RelativeMargin is not null || options.MaxScore is not null;
        int rangeMax = options.RangeMax ?? options.RangeMin + options.NumNegatives * (filtered ? 10 : 1) + maxPositives;
        int k = Math.Min(corpus.Count, rangeMax + maxPositives);
        var (candidates, positiveScores) = scorer.Score(queries, corpus, [.. positives.Select(p => p.ToArray())], k);

        var removed = new Dictionary<string, int>(StringComparer.Ordinal);
        void Count(string rule) => removed[rule] = removed.GetValueOrDefault(rule) + 1;
        var random = new Random(options.Seed);
        var negatives = new List<(int Row, float Score)>[queries.Count];
        int anchorsShort = 0;
        for (int q = 0; q < queries.Count; q++)
        {
            var own = new HashSet<int>(positives[q]);
            if (corpusIndex.TryGetValue(PairFilter.Key(queries[q]), out int self)) own.Add(self);
            float minPositive = positiveScores[q].Min();
            var list = new List<(int Row, float Score)>();
            foreach (var hit in candidates[q])
            {
                double s = hit.Score;
                string? rule = own.Contains(hit.Index) ? "positive"
                    : options.AbsoluteMargin is { } am && s + am > minPositive ? "absolute_margin"
                    : options.RelativeMargin is { } rm && s > minPositive - Math.Abs(minPositive) * rm ? "relative_margin"
                    : options.MaxScore is { } mx && s > mx ? "max_score"
                    : options.MinScore is { } mn && s < mn ? "min_score"
                    : null;
                if (rule is null) list.Add((hit.Index, hit.Score));
                else Count(rule);
            }
            // Candidates arrive best first; the window is ranks [RangeMin, RangeMax) of the qualifying ones.
            var window = list.Take(rangeMax).Skip(options.RangeMin).ToList();
            List<(int Row, float Score)> chosen;
            if (options.Sampling == SamplingStrategy.Top || window.Count <= options.NumNegatives)
                chosen = [.. window.Take(options.NumNegatives)];
            else
            {
                var order = Enumerable.Range(0, window.Count).ToArray();
                random.Shuffle(order);
                chosen = [.. order.Take(options.NumNegatives).Order().Select(i => window[i])];
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
        MiningFormat.Triplet => options.Margins || options.Scores ? [c.Anchor, c.Positive, "negative", "label"] : [c.Anchor, c.Positive, "negative"],
        MiningFormat.LabeledPair => [c.Anchor, c.Positive, "label"],
        MiningFormat.LabeledList => [c.Anchor, c.Positive, "labels"],
        _ => [c.Anchor, c.Positive, .. Enumerable.Range(1, options.NumNegatives).Select(i => $"negative_{i}"), .. options.Margins || options.Scores ? new[] { "label" } : []],
    };

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
                            rows.Add(options.Margins ? [.. row, (positiveScores[q][i] - n.Score).ToString("R", CultureInfo.InvariantCulture)]
                                : options.Scores ? [.. row, List([positiveScores[q][i], n.Score])]
                                : row);
                        }
                    }
                    break;
                case MiningFormat.LabeledPair:
                    foreach (int p in positives[q]) rows.Add([queries[q], corpus[p], "1"]);
                    foreach (var n in negs) rows.Add([queries[q], corpus[n.Row], "0"]);
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
    private static string List(IEnumerable<float> values) =>
        "[" + string.Join(", ", values.Select(v => v.ToString("R", CultureInfo.InvariantCulture))) + "]";

    /// <summary>The format's name on the command line.</summary>
    public static MiningFormat ParseFormat(string s) => s switch
    {
        "triplet" => MiningFormat.Triplet,
        "n-tuple" => MiningFormat.NTuple,
        "labeled-pair" => MiningFormat.LabeledPair,
        "labeled-list" => MiningFormat.LabeledList,
        _ => throw new DataException(string.Create(CultureInfo.InvariantCulture, $"unknown format '{s}' (triplet, n-tuple, labeled-pair, labeled-list)")),
    };
}
