using System.Text.Json;
using Skald.Retrieval.Index;
using Skald.Retrieval.Search;

namespace Skald.Serving;

/// <summary>
/// Reads a <c>POST /v1/search</c> body: <c>{"query": TEXT, "top_k": 10, "mode": "dense"|"bm25"|"hybrid",
/// "fusion": "convex"|"rrf"|"rerank", "alpha": 0.3, "normalization": "zscore"|"minmax", "rrf_k": 60,
/// "candidates": 100, "model": NAME, "rerank": true, "rerank_candidates": 50, "rescore_multiplier": 2, "probes": N, "ef": N, "maxsim_candidates": N, "plaid_ncells": N, "plaid_ndocs": N, "source": PATTERN or [PATTERN, ...], "bge_m3_weights": [W1, W2, W3], "rerank_bge_m3_weights": [W1, W2, W3], "min_score": X, "where": {FIELD: VALUE or [VALUE, ...] or {"gt"|"gte"|"lt"|"lte"|"ne": VALUE, ...}}}</c>;
/// only <c>query</c> is required and the rest default as <c>skald search</c> does. Unknown fields are ignored. Every problem is an <see cref="ApiException"/> 400 naming the field.
/// </summary>
internal static class SearchRequestReader
{
    /// <summary>The largest <c>top_k</c> and <c>candidates</c> a request may ask for.</summary>
    public const int MaxTopK = 1000;

    public static SearchRequest Read(ReadOnlyMemory<byte> body)
    {
        using (var doc = JsonBody.Parse(body))
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw ApiException.WrongType("the request body must be a JSON object with a \"query\" field");
            if (!root.TryGetProperty("query", out var q) || q.ValueKind == JsonValueKind.Null)
                throw JsonBody.Missing(root, "query", "the query text as a string");
            if (q.ValueKind != JsonValueKind.String)
                throw ApiException.WrongType($"\"query\" must be a string (the query text), not {JsonBody.Kind(q)}", "query");
            string query = q.GetString()!;
            if (query.Trim().Length == 0) throw ApiException.BadRequest("\"query\" is empty", "query");
            string? model = null;
            if (root.TryGetProperty("model", out var m) && m.ValueKind != JsonValueKind.Null)
                model = m.ValueKind == JsonValueKind.String ? m.GetString() : throw ApiException.WrongType("\"model\" must be a string", "model");
            int topK = Int(root, "top_k", null) ?? Int(root, "k", null) ?? 10;
            if (topK is < 1 or > MaxTopK) throw ApiException.BadRequest($"top_k {topK} is outside 1..{MaxTopK}", "top_k");
            string modeName = Choice(root, "mode", "hybrid", "dense", "bm25", "hybrid");
            var mode = modeName switch
            {
                "dense" => SearchMode.Dense,
                "bm25" => SearchMode.Bm25,
                _ => SearchMode.Hybrid,
            };
            var fusion = FusionOptions.Default;
            string fusionName = Choice(root, "fusion", "convex", "convex", "rrf", "rerank");
            fusion = fusion with { Mode = FusionOptions.ParseMode(fusionName)!.Value };
            if (Number(root, "alpha") is double alpha)
                fusion = alpha is >= 0 and <= 1 ? fusion with { Alpha = alpha } : throw ApiException.BadRequest($"alpha {alpha} is outside [0, 1]", "alpha");
            fusion = fusion with { Normalization = FusionOptions.ParseNormalization(Choice(root, "normalization", "zscore", "zscore", "minmax"))!.Value };
            if (Int(root, "rrf_k", 1) is int rrfK) fusion = fusion with { RrfK = rrfK };
            if (Int(root, "candidates", 1) is int candidates)
                fusion = candidates <= MaxTopK ? fusion with { Candidates = candidates }
                    : throw ApiException.BadRequest($"candidates {candidates} is more than {MaxTopK}", "candidates");
            CheckFusionFields(root, modeName, fusionName);
            bool rerank = true;
            if (root.TryGetProperty("rerank", out var rr) && rr.ValueKind != JsonValueKind.Null)
            {
                rerank = rr.ValueKind switch
                {
                    JsonValueKind.True => true,
                    JsonValueKind.False => false,
                    _ => throw ApiException.WrongType("rerank must be true or false", "rerank"),
                };
            }
            int rerankCandidates = Int(root, "rerank_candidates", 1) ?? SearchRequest.DefaultRerankCandidates;
            if (rerankCandidates > MaxTopK)
                throw ApiException.BadRequest($"rerank_candidates {rerankCandidates} is more than {MaxTopK}", "rerank_candidates");
            int rescore = Int(root, "rescore_multiplier", 0) ?? SearchRequest.DefaultRescoreMultiplier;
            if ((long)rescore * Math.Max(topK, fusion.Candidates) > MaxTopK * 100L)
                throw ApiException.BadRequest($"rescore_multiplier {rescore} asks to rescore more than {MaxTopK * 100} hits", "rescore_multiplier");
            int probes = Int(root, "probes", 1) ?? 0;
            int ef = Int(root, "ef", 1) ?? 0;
            if (ef > MaxTopK * 100) throw ApiException.BadRequest($"ef {ef} is more than {MaxTopK * 100}", "ef");
            int maxSimCandidates = Int(root, "maxsim_candidates", 1) ?? 0;
            if (maxSimCandidates > MaxTopK * 100)
                throw ApiException.BadRequest($"maxsim_candidates {maxSimCandidates} is more than {MaxTopK * 100}", "maxsim_candidates");
            int? plaidCells = Int(root, "plaid_ncells", 1), plaidDocs = Int(root, "plaid_ndocs", 1);
            if (plaidDocs > MaxTopK * 100)
                throw ApiException.BadRequest($"plaid_ndocs {plaidDocs} is more than {MaxTopK * 100}", "plaid_ndocs");
            if ((plaidCells ?? plaidDocs) is not null && maxSimCandidates > 0)
                throw ApiException.BadRequest("maxsim_candidates and plaid_ncells / plaid_ndocs are two candidate stages; give one", "maxsim_candidates");
            double? minScore = Number(root, "min_score");
            if (minScore is not null && ScoreThreshold.Refusal(mode) is { } refusal) throw ApiException.BadRequest($"min_score {refusal}", "min_score");
            return new SearchRequest(query, topK, mode, fusion, model, rerank, rerankCandidates, rescore, probes, ef)
            {
                MinScore = minScore,
                RerankAsked = rr.ValueKind == JsonValueKind.True,
                Filter = Filter(root),
                BgeM3Weights = BgeM3Weights(root),
                RerankBgeM3Weights = BgeM3Weights(root, "rerank_bge_m3_weights"),
                MaxSimCandidates = maxSimCandidates,
                Plaid = (plaidCells ?? plaidDocs) is null ? null
                    : new Skald.Retrieval.Plaid.PlaidSearchOptions { Cells = plaidCells ?? 0, Documents = plaidDocs ?? 0 },
            };
        }
    }

    /// <summary>
    /// The body's <c>"bge_m3_weights"</c> (or <paramref name="field"/>, /v1/search's <c>"rerank_bge_m3_weights"</c>):
    /// [dense, sparse, colbert], three numbers, none negative, not all 0 (as skald search --bge-m3-weights); null when
    /// absent; a 400 naming the field otherwise. /v1/search and /v1/rerank read it.
    /// </summary>
    internal static Skald.Models.BgeM3.BgeM3Weights? BgeM3Weights(JsonElement root, string field = "bge_m3_weights")
    {
        if (!root.TryGetProperty(field, out var w) || w.ValueKind == JsonValueKind.Null) return null;
        if (w.ValueKind != JsonValueKind.Array || w.GetArrayLength() != 3 || w.EnumerateArray().Any(x => x.ValueKind != JsonValueKind.Number))
            throw ApiException.WrongType($"{field} must be an array of three numbers [dense, sparse, colbert], got {JsonBody.Kind(w)}", field);
        try
        {
            // (a number beyond float's range, 1e39 or 1e400, is infinite here, which Of refuses by name)
            return Skald.Models.BgeM3.BgeM3Weights.Of([.. w.EnumerateArray().Select(x => x.TryGetDouble(out double d) ? (float)d : float.PositiveInfinity)]);
        }
        catch (ArgumentException e)
        {
            throw ApiException.BadRequest($"{field}: {e.Message.Split(" (Parameter", 2)[0]}", field);
        }
    }

    // "source": a pattern or an array of them (any passes), and "where": {field: value or [values], or field: {"gte": value,
    // ...}} (all fields and comparisons hold), as skald search --source and --where.
    private static Skald.Retrieval.Index.IndexFilter? Filter(JsonElement root)
    {
        List<string>? patterns = root.TryGetProperty("source", out var v) && v.ValueKind != JsonValueKind.Null ? Strings(v, "source", "a pattern or an array of patterns") : null;
        List<KeyValuePair<string, IReadOnlyList<string>>>? fields = null;
        List<FieldComparison>? comparisons = null;
        if (root.TryGetProperty("where", out var w) && w.ValueKind != JsonValueKind.Null)
        {
            if (w.ValueKind != JsonValueKind.Object)
                throw ApiException.WrongType($"where must be an object of field: value (or [values], or {{\"gte\": value, ...}}), got {JsonBody.Kind(w)}", "where");
            (fields, comparisons) = ([], []);
            foreach (var p in w.EnumerateObject())
            {
                if (p.Name.Length == 0) throw ApiException.BadRequest("where holds an empty field name", "where");
                if (p.Value.ValueKind == JsonValueKind.Object) comparisons.AddRange(Comparisons(p));
                else fields.Add(new(p.Name, Strings(p.Value, "where", $"a value, an array of values or an object of comparisons for \"{p.Name}\"", scalars: true)));
            }
            if (fields.Count + comparisons.Count == 0) throw ApiException.BadRequest("where holds no field", "where");
        }
        if (patterns is null && fields is null) return null;
        if (patterns is not null && (patterns.Count == 0 || patterns.Any(p => p.Length == 0)))
            throw ApiException.BadRequest("source holds no pattern or an empty one", "source");
        if ((patterns?.Count ?? 0) + (fields?.Sum(f => f.Value.Count) ?? 0) + (comparisons?.Count ?? 0) > 256)
            throw ApiException.BadRequest("more than 256 patterns and values to match", "where");
        try
        {
            return new Skald.Retrieval.Index.IndexFilter(patterns, fields, comparisons);
        }
        catch (ArgumentException e)
        {
            throw ApiException.BadRequest(e.Message.Split(" (Parameter")[0], e.ParamName == "sources" ? "source" : "where");
        }
    }

    // "where": {"year": {"gte": 2020, "lt": 2025}}: each comparison a string, number or boolean (numbers as written).
    private static List<FieldComparison> Comparisons(JsonProperty field)
    {
        var list = new List<FieldComparison>();
        foreach (var c in field.Value.EnumerateObject())
        {
            var op = c.Name switch
            {
                "gt" => ComparisonOperator.Greater,
                "gte" => ComparisonOperator.GreaterOrEqual,
                "lt" => ComparisonOperator.Less,
                "lte" => ComparisonOperator.LessOrEqual,
                "ne" => ComparisonOperator.NotEqual,
                _ => throw ApiException.BadRequest($"where.{field.Name}: \"{c.Name}\" is not a comparison (gt, gte, lt, lte, ne)", "where"),
            };
            string value = c.Value.ValueKind switch
            {
                JsonValueKind.String => c.Value.GetString()!,
                JsonValueKind.Number => c.Value.GetRawText(),
                JsonValueKind.True => "true",
                JsonValueKind.False => "false",
                _ => throw ApiException.WrongType($"where.{field.Name}.{c.Name} must be a string, number or boolean, got {JsonBody.Kind(c.Value)}", "where"),
            };
            try
            {
                list.Add(new FieldComparison(field.Name, op, value));
            }
            catch (ArgumentException e)
            {
                throw ApiException.BadRequest($"where.{field.Name}.{c.Name}: {e.Message.Split(" (Parameter")[0]}", "where");
            }
        }
        if (list.Count == 0) throw ApiException.BadRequest($"where.{field.Name}: an empty object; give comparisons such as {{\"gte\": 2020}}", "where");
        return list;
    }

    // A string or an array of strings; with scalars, numbers and booleans too, as the text a .jsonl field keeps of them.
    private static List<string> Strings(JsonElement v, string param, string what, bool scalars = false)
    {
        string? Text(JsonElement e) => e.ValueKind switch
        {
            JsonValueKind.String => e.GetString(),
            JsonValueKind.Number when scalars => e.GetRawText(),
            JsonValueKind.True when scalars => "true",
            JsonValueKind.False when scalars => "false",
            _ => null,
        };
        var list = new List<string>();
        if (v.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in v.EnumerateArray())
                list.Add(Text(item) ?? throw ApiException.WrongType($"{param} must be {what}, got an array holding {JsonBody.Kind(item)}", param));
        }
        else list.Add(Text(v) ?? throw ApiException.WrongType($"{param} must be {what}, got {JsonBody.Kind(v)}", param));
        if (list.Count == 0) throw ApiException.BadRequest($"{param} must be {what}, got an empty array", param);
        return list;
    }

    /// <summary>
    /// Fusion settings of a search that fuses nothing (<c>fusion</c>, <c>alpha</c>, <c>normalization</c>, <c>rrf_k</c>,
    /// <c>candidates</c> on mode dense or bm25), or of another fusion than the one searched (<c>alpha</c> and
    /// <c>normalization</c> belong to convex, <c>rrf_k</c> to rrf): a 400 naming the field, not a result the client takes
    /// for what it asked (as <c>skald search</c> refuses <c>--fusion</c> and <c>--alpha</c>).
    /// </summary>
    private static void CheckFusionFields(JsonElement root, string modeName, string fusionName)
    {
        static bool Given(JsonElement root, string name) => root.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null;
        if (modeName != "hybrid" && FusionFields.FirstOrDefault(f => Given(root, f)) is { } field)
            throw ApiException.BadRequest($"{field} applies to mode \"hybrid\"; this search is mode \"{modeName}\"", field);
        foreach (var (name, owner, what) in FusionOwners)
        {
            if (fusionName != owner && Given(root, name))
                throw ApiException.BadRequest($"{name} {what} of fusion \"{owner}\"; fusion \"{fusionName}\" has none", name);
        }
    }

    /// <summary>The request's fields that set how a hybrid search fuses, in the order a refusal names the first given.</summary>
    private static readonly string[] FusionFields = ["fusion", "alpha", "normalization", "rrf_k", "candidates"];

    /// <summary>Fusion fields that only one fusion reads: the field, that fusion, and what the field is to it.</summary>
    private static readonly (string Name, string Owner, string What)[] FusionOwners =
    [
        ("alpha", "convex", "weighs the dense side"),
        ("normalization", "convex", "scales the scores"),
        ("rrf_k", "rrf", "is the rank constant"),
    ];

    private static int? Int(JsonElement root, string name, int? min)
    {
        if (!root.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out int n))
            throw ApiException.WrongType($"{name} must be an integer", name);
        if (min is int lo && n < lo) throw ApiException.BadRequest($"{name} {n} is less than {lo}", name);
        return n;
    }

    private static double? Number(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        return v.ValueKind == JsonValueKind.Number ? v.GetDouble() : throw ApiException.WrongType($"{name} must be a number", name);
    }

    private static string Choice(JsonElement root, string name, string fallback, params string[] allowed)
    {
        if (!root.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return fallback;
        string? s = v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        if (s is null || !allowed.Contains(s, StringComparer.Ordinal))
            throw ApiException.BadRequest($"{name} must be one of {string.Join(", ", allowed.Select(a => $"\"{a}\""))}", name);
        return s;
    }
}
