using System.Globalization;
using Skald.Models.Modules;
using Skald.Retrieval;
using Skald.Retrieval.Models;
using Skald.Retrieval.Remote;

namespace Skald.Evaluation.Models;

/// <summary>
/// A remote OpenAI-compatible embedding model (<c>openai:URL#MODEL</c>) as an <see cref="IEmbeddingModel"/>, a peer of
/// <see cref="EvaluationEmbeddingModel"/> in <c>skald evaluate</c>, <c>benchmark</c> and <c>adapter train</c>: role
/// prompts prepended to the text, duplicate texts sent once, an optional on-disk <see cref="EmbeddingCache"/> keyed by
/// endpoint + model + prompt + text, and the requests, tokens and cost in <see cref="Metadata"/>. The width is learnt
/// from the first reply (one probe request when asked before any embedding). Similarity is cosine; texts are sent
/// whole (the server truncates or refuses what is too long for it).
/// </summary>
public sealed class RemoteEmbeddingModel : IEmbeddingModel
{
    // Texts per cache segment written while a long embedding call runs (a segment is one file).
    private const int SegmentTexts = 1024;

    private readonly EvaluationEmbeddingOptions options;
    private readonly string modelKey;
    private readonly Dictionary<string, string> metadata;
    private EmbeddingCache? cache;
    private int dimension;

    /// <summary>
    /// A model calling <paramref name="client"/>; <paramref name="options"/> gives prompts, the cache folder and the
    /// name; <paramref name="queryAdapter"/> (a <see cref="RemoteAdapterFolder"/>) runs on query embeddings.
    /// </summary>
    public RemoteEmbeddingModel(OpenAiEmbeddingClient client, EvaluationEmbeddingOptions? options = null, RemoteAdapterFolder? queryAdapter = null)
    {
        Client = client;
        QueryAdapter = queryAdapter;
        this.options = options ?? new EvaluationEmbeddingOptions();
        var spec = client.Settings.Spec;
        Name = this.options.Name ?? spec.Model;
        modelKey = "openai-" + BenchmarkKey(spec);
        metadata = new Dictionary<string, string>
        {
            ["remote"] = spec.ToString(),
            ["similarity"] = Similarities.Name(SimilarityFunction.Cosine),
            ["query_prompt"] = this.options.QueryPrompt ?? "",
            ["document_prompt"] = this.options.DocumentPrompt ?? "",
        };
        Refresh();
    }

    /// <summary>The query adapter over the remote model's query embeddings, if any.</summary>
    public RemoteAdapterFolder? QueryAdapter { get; }

    /// <summary>The HTTP client (requests, tokens, cost so far).</summary>
    public OpenAiEmbeddingClient Client { get; }

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, string> Metadata => metadata;

    /// <inheritdoc/>
    public int Dimension
    {
        get
        {
            if (dimension == 0) Embed(["dimension probe"], TextRole.Text);
            return dimension;
        }
    }

    /// <inheritdoc/>
    public SimilarityFunction Similarity => SimilarityFunction.Cosine;

    /// <summary>Texts actually sent (cache misses) since construction.</summary>
    public int EncodedCount { get; private set; }

    /// <summary>A stable key of a remote model for result and embedding caches: a hash of its endpoint and model name.</summary>
    public static string BenchmarkKey(RemoteModelSpec spec) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(
        System.Text.Encoding.UTF8.GetBytes($"openai\n{spec.Endpoint.AbsoluteUri}\n{spec.Model}")))[..24];

    /// <inheritdoc/>
    /// <remarks>A model over the same client (its requests, tokens and cost counted together) and adapter.</remarks>
    public IEmbeddingModel WithPrompts(string? queryPrompt, string? documentPrompt) =>
        new RemoteEmbeddingModel(Client, options with { QueryPrompt = queryPrompt ?? options.QueryPrompt, DocumentPrompt = documentPrompt ?? options.DocumentPrompt }, QueryAdapter);

    /// <summary>The prompt of a role (none unless given).</summary>
    public string? PromptFor(TextRole role) => role switch
    {
        TextRole.Query => options.QueryPrompt,
        TextRole.Document => options.DocumentPrompt,
        _ => null,
    };

    /// <inheritdoc/>
    public float[][] Embed(IReadOnlyList<string> texts, TextRole role)
    {
        var vectors = EmbedBase(texts, role);
        return role == TextRole.Query && QueryAdapter is { } adapter ? adapter.Apply(vectors) : vectors;
    }

    /// <summary>The remote model's own embeddings (cached), before any adapter.</summary>
    private float[][] EmbedBase(IReadOnlyList<string> texts, TextRole role)
    {
        string? prompt = PromptFor(role);
        var result = new float[texts.Count][];
        var missing = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        for (int i = 0; i < texts.Count; i++)
        {
            if (cache is not null && cache.TryGet(EmbeddingCache.Key(prompt, texts[i]), out var v)) { result[i] = v; continue; }
            if (!missing.TryGetValue(texts[i], out var list)) missing[texts[i]] = list = [];
            list.Add(i);
        }
        if (missing.Count == 0) return result;
        var unique = missing.Keys.ToArray();
        // Request by request, each reply kept for the cache at once: a request that fails (or a refused width) after
        // many answered ones loses none of those paid for; the cache gets a segment every SegmentTexts texts and at the end.
        var fresh = new List<(TextKey, float[])>();
        int batch = Client.Settings.BatchSize;
        // Ctrl-C (Settings.Stop) drains the whole loop: the request under way finishes, the next one is not sent (an
        // OperationCanceledException from the client), and what came back is written to the cache below
        using var working = Client.Settings.Stop?.Work();
        try
        {
            for (int start = 0; start < unique.Length; start += batch)
            {
                int n = Math.Min(batch, unique.Length - start);
                var sent = new string[n];
                for (int u = 0; u < n; u++) sent[u] = (prompt ?? "") + unique[start + u];
                var vectors = Client.Embed(sent);
                EncodedCount += n;
                if (dimension == 0) dimension = vectors[0].Length;
                if (vectors.Any(v => v.Length != dimension))
                    throw new EvaluationException($"{Client.Settings.Spec}: embeddings of {vectors.First(v => v.Length != dimension).Length} values after earlier ones of {dimension}");
                if (cache is null && options.CacheDirectory is { } dir) cache = new EmbeddingCache(dir, modelKey, dimension);
                for (int u = 0; u < n; u++)
                {
                    foreach (int i in missing[unique[start + u]]) result[i] = vectors[u];
                    fresh.Add((EmbeddingCache.Key(prompt, unique[start + u]), vectors[u]));
                }
                if (fresh.Count >= SegmentTexts)
                {
                    cache?.AddRange(fresh);
                    fresh.Clear();
                }
                options.Progress?.Invoke(start + n, unique.Length);
            }
        }
        finally
        {
            cache?.AddRange(fresh);
        }
        Refresh();
        return result;
    }

    /// <summary>Opens the cache now if the width is known from it (a run served fully from the cache sends nothing).</summary>
    private void Refresh()
    {
        if (cache is null && options.CacheDirectory is { } dir && dimension == 0 && Directory.Exists(Path.Combine(dir, modelKey)))
        {
            // Learn the width from an existing segment header, so cached texts need no request.
            foreach (var file in Directory.GetFiles(Path.Combine(dir, modelKey), "seg-*.bin"))
            {
                var header = new byte[8];
                using (var s = File.OpenRead(file))
                {
                    if (s.Read(header, 0, 8) < 8) continue;
                }
                int d = BitConverter.ToInt32(header, 4);
                if (BitConverter.ToUInt32(header, 0) == 0x43454B53 && d > 0) { dimension = d; break; } // "SKEC", EmbeddingCache's header
            }
            if (dimension > 0) cache = new EmbeddingCache(dir, modelKey, dimension);
        }
        metadata["dimension"] = dimension.ToString(CultureInfo.InvariantCulture);
        metadata["requests"] = Client.Requests.ToString(CultureInfo.InvariantCulture);
        metadata["retries"] = Client.Retries.ToString(CultureInfo.InvariantCulture);
        metadata["tokens"] = Client.Tokens.ToString(CultureInfo.InvariantCulture);
        if (Client.Settings.PricePerMillionTokens > 0)
            metadata["cost"] = Client.Cost.ToString("0.######", CultureInfo.InvariantCulture);
    }

    /// <inheritdoc/>
    public IReadOnlyList<string> SplitToFit(string text, TextRole role) => [text];
}
