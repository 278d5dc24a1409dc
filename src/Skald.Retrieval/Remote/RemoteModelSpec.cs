namespace Skald.Retrieval.Remote;

/// <summary>
/// A remote embedding model named on the command line as <c>openai:URL#MODEL</c>: any OpenAI-compatible
/// <c>/v1/embeddings</c> API at URL (the base URL, the part before <c>/embeddings</c>, e.g.
/// <c>openai:http://127.0.0.1:8080/v1#text-embedding-3-small</c>) and the model name it is asked for.
/// </summary>
/// <param name="Endpoint">Base URL of the API.</param>
/// <param name="Model">Model name sent with each request.</param>
public sealed record RemoteModelSpec(Uri Endpoint, string Model)
{
    /// <summary>The prefix that marks a remote model.</summary>
    public const string Prefix = "openai:";

    /// <summary>
    /// The file of a query adapter trained over a remote model (<c>skald adapter train --model openai:…</c>):
    /// { "base": "openai:URL#MODEL", "dimension": D, "kind": "linear"|"mlp", "query": [Dense module folders, in order] }.
    /// </summary>
    public const string AdapterFile = "remote_adapter.json";

    /// <summary>Whether <paramref name="spec"/> names a remote model (starts with <c>openai:</c>).</summary>
    public static bool IsRemote(string spec) => spec.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase);

    /// <summary>Parses <c>openai:URL#MODEL</c>; a malformed one is an <see cref="EvaluationException"/> saying what is wrong.</summary>
    public static RemoteModelSpec Parse(string spec)
    {
        if (!IsRemote(spec)) throw new EvaluationException($"'{spec}' is not a remote model (expected openai:URL#MODEL)");
        string rest = spec[Prefix.Length..];
        int hash = rest.LastIndexOf('#');
        if (hash < 0 || hash == rest.Length - 1)
            throw new EvaluationException($"'{spec}': name the model after '#', e.g. openai:http://127.0.0.1:8080/v1#text-embedding-3-small");
        string url = rest[..hash], model = rest[(hash + 1)..];
        if (!Uri.TryCreate(url, UriKind.Absolute, out var endpoint) || endpoint.Scheme is not ("http" or "https"))
            throw new EvaluationException($"'{spec}': '{url}' is not an http(s) URL");
        return new RemoteModelSpec(endpoint, model);
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Prefix}{Endpoint.OriginalString}#{Model}";
}
