using Skald.Retrieval;

namespace Skald.Evaluation.Evaluators;

/// <summary>
/// One dataset of the NanoBEIR collection (Zeta Alpha's 50-query cuts of 13 BEIR datasets) as sentence-transformers'
/// <c>NanoBEIREvaluator</c> names it: the short name a user passes (<c>msmarco</c>, case-insensitive), the name its
/// metrics carry (<c>NanoMSMARCO</c>) and the hub dataset it is read from (<c>zeta-alpha-ai/NanoMSMARCO</c>: corpus,
/// queries and qrels folders, split train).
/// </summary>
/// <param name="ShortName">The name a user passes.</param>
/// <param name="DisplayName">The name in the metrics (<c>NanoMSMARCO_cosine_ndcg@10</c>).</param>
/// <remarks>Upstream: https://github.com/UKPLab/sentence-transformers/blob/85ec64559f4414aa536eca4bf53538291e0a333f/sentence_transformers/evaluation/NanoBEIREvaluator.py</remarks>
public sealed record NanoBeirDataset(string ShortName, string DisplayName)
{
    /// <summary>The hub dataset holding it.</summary>
    public string HubId => "zeta-alpha-ai/" + DisplayName;

    /// <summary>The split every part is published in.</summary>
    public const string Split = "train";

    /// <summary>The whole collection, in upstream's order (the default when no names are given).</summary>
    public static IReadOnlyList<NanoBeirDataset> All { get; } =
    [
        new("climatefever", "NanoClimateFEVER"), new("dbpedia", "NanoDBPedia"), new("fever", "NanoFEVER"),
        new("fiqa2018", "NanoFiQA2018"), new("hotpotqa", "NanoHotpotQA"), new("msmarco", "NanoMSMARCO"),
        new("nfcorpus", "NanoNFCorpus"), new("nq", "NanoNQ"), new("quoraretrieval", "NanoQuoraRetrieval"),
        new("scidocs", "NanoSCIDOCS"), new("arguana", "NanoArguAna"), new("scifact", "NanoSciFact"),
        new("touche2020", "NanoTouche2020"),
    ];

    /// <summary>
    /// The datasets of a comma-separated list of short names (case-insensitive; a <c>Nano</c> prefix is allowed), in its
    /// order; null or blank: <see cref="All"/>. An unknown or repeated name is one line listing the valid ones.
    /// </summary>
    public static IReadOnlyList<NanoBeirDataset> Parse(string? names)
    {
        if (string.IsNullOrWhiteSpace(names)) return All;
        var chosen = new List<NanoBeirDataset>();
        foreach (string raw in names.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var found = Find(raw);
            if (chosen.Contains(found)) throw new EvaluationException($"NanoBEIR dataset \"{raw}\" is named twice");
            chosen.Add(found);
        }
        return chosen.Count > 0 ? chosen : throw new EvaluationException("no NanoBEIR dataset named (leave the list out for all of them)");
    }

    /// <summary>
    /// Per-dataset prompts (upstream's <c>query_prompts</c> or <c>corpus_prompts</c> given as a dict) from <c>NAME=TEXT</c> entries, NAME as
    /// <see cref="Parse"/> reads it and TEXT kept as given (spaces too). An entry without <c>=</c>, an unknown name or a
    /// name given twice is one line naming <paramref name="option"/>.
    /// </summary>
    public static IReadOnlyDictionary<NanoBeirDataset, string> ParsePrompts(IEnumerable<string> entries, string option)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var prompts = new Dictionary<NanoBeirDataset, string>();
        foreach (string entry in entries)
        {
            int eq = entry.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0) throw new EvaluationException($"{option} \"{entry}\": expected NAME=TEXT (e.g. msmarco=\"query: \")");
            var dataset = Find(entry[..eq].Trim());
            if (!prompts.TryAdd(dataset, entry[(eq + 1)..])) throw new EvaluationException($"{option}: {dataset.ShortName} has two prompts");
        }
        return prompts;
    }

    private static NanoBeirDataset Find(string raw)
    {
        string name = raw.StartsWith("nano", StringComparison.OrdinalIgnoreCase) ? raw[4..] : raw;
        return All.FirstOrDefault(d => d.ShortName.Equals(name, StringComparison.OrdinalIgnoreCase))
            ?? throw new EvaluationException($"NanoBEIR has no dataset \"{raw}\" (valid: {string.Join(", ", All.Select(d => d.ShortName))})");
    }
}
