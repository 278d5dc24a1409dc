using Skald.Cli.IO;
using Skald.Data.Llm;

namespace Skald.Cli.Pipeline;

/// <summary>
/// The OpenAI-compatible endpoint of an LLM stage (generate with generator llm, translate with engine llm,
/// evaluate_generation with the judge metric) and its API key, read when the stage's keys are read: a URL that is not
/// http(s) or a key variable that is not set (for an endpoint off this machine; a local one needs no key) is one line
/// naming the stage key before the first stage runs, not a failure after the earlier stages have spent their time.
/// While such a stage asks its endpoint, Ctrl-C lets the requests in flight finish into the stage's journal and stops
/// the pipeline (<see cref="Drained{T}"/>).
/// </summary>
internal static class StageLlm
{
    /// <summary>The endpoint <paramref name="url"/> given by <paramref name="urlKey"/>, or one line naming the key.</summary>
    public static Uri Endpoint(StageConfig s, string urlKey, string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var endpoint) || endpoint.Scheme is not ("http" or "https"))
            throw new InputException($"{s.Keys.Where(urlKey)}: {s.Name}.{urlKey} must be an http(s) URL (an OpenAI-compatible base URL), got '{url}'");
        return endpoint;
    }

    /// <summary>
    /// The API key in the environment variable <paramref name="variable"/> (the stage's <c>api_key_env</c>), "unused" for
    /// an endpoint on this machine without one; a missing key for any other endpoint is one line naming the key and variable.
    /// </summary>
    public static string ApiKey(StageConfig s, Uri endpoint, string variable)
    {
        return LlmSettings.KeyFromEnvironment(endpoint, variable)
            ?? throw new InputException($"{s.Keys.Where("api_key_env")}: {s.Name}.api_key_env: environment variable {variable} is not set (the API key for {endpoint.Host})");
    }

    /// <summary>
    /// The stage's <c>max_requests</c>: the most requests (retries included) one run of the stage may send, counted
    /// exactly as <c>--max-requests</c> counts them (<see cref="RequestBudget"/>); null when absent (no limit). Anything
    /// but a whole number of at least 1 is one line naming the file, line and key.
    /// </summary>
    public static int? MaxRequests(StageConfig s) => s.Keys.IntOrNull("max_requests", 1);

    /// <summary>
    /// Runs <paramref name="ask"/>, the requests of stage <paramref name="s"/>, with Ctrl-C taken over: the first one
    /// sets the token <paramref name="ask"/> is given, which starts no further request and lets those in flight finish
    /// into <paramref name="journal"/>. A run so stopped, whether <paramref name="ask"/> then ended early with an
    /// <see cref="OperationCanceledException"/> or finished anyway, is a <see cref="StageInterruptedException"/>: the
    /// stage writes nothing to <paramref name="output"/> and no later stage runs; the same pipeline run again asks only
    /// for what the journal lacks. Outside these calls Ctrl-C ends the pipeline at once, as usual (a training stage has
    /// nothing in flight worth waiting for), so <paramref name="ask"/> must not write the stage's output: that is
    /// written after it returns, atomically.
    /// </summary>
    public static T Drained<T>(StageConfig s, string output, string journal, Func<CancellationToken, T> ask)
    {
        using var ctrlC = new GracefulStop("skald: stopping: the requests in flight finish and go to the journal (Ctrl-C again to quit at once)");
        T result;
        try
        {
            result = ask(ctrlC.Token);
        }
        catch (OperationCanceledException) when (ctrlC.Requested)
        {
            throw Interrupted(s, output, journal);
        }
        return ctrlC.Requested ? throw Interrupted(s, output, journal) : result;
    }

    private static StageInterruptedException Interrupted(StageConfig s, string output, string journal) =>
        new($"interrupted in stage {s.Name}; nothing written to {output}, and every reply received is in {journal}: run the same pipeline again to go on");
}
