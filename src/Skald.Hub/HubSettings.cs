namespace Skald.Hub;

/// <summary>
/// Where the hub is and where its cache lives, read from the environment as huggingface_hub reads it
/// (<see href="https://github.com/huggingface/huggingface_hub/blob/v1.28.0/src/huggingface_hub/constants.py">constants.py
/// at v1.28.0</see>): <c>HF_HOME</c> (default <c>$XDG_CACHE_HOME/huggingface</c>, else <c>~/.cache/huggingface</c>),
/// <c>HF_HUB_CACHE</c> (default <c>$HF_HOME/hub</c>), <c>HF_ENDPOINT</c> (default https://huggingface.co),
/// <c>HF_TOKEN</c> else the file <c>HF_TOKEN_PATH</c> (default <c>$HF_HOME/token</c>), and
/// <c>HF_HUB_OFFLINE</c> (or <c>TRANSFORMERS_OFFLINE</c>) set to 1/ON/YES/TRUE.
/// </summary>
public sealed record HubSettings
{
    /// <summary>The hub's base address, without a trailing slash.</summary>
    public required string Endpoint { get; init; }

    /// <summary>The cache folder holding <c>models--org--name</c> repositories.</summary>
    public required string Cache { get; init; }

    /// <summary>The access token sent as a bearer token, or null.</summary>
    public string? Token { get; init; }

    /// <summary>True when no request may be made: only the cache is read.</summary>
    public bool Offline { get; init; }

    /// <summary>Files downloaded at once (huggingface_hub's snapshot_download uses 8 workers).</summary>
    public int Parallel { get; init; } = 8;

    /// <summary>Retries of a request that failed transiently (connection error, 408, 429, 5xx).</summary>
    public int Retries { get; init; } = 2;

    /// <summary>Seconds to wait for the server's answer to a request (a stalled body counts too).</summary>
    public double TimeoutSeconds { get; init; } = 30;

    /// <summary>The settings of this process's environment.</summary>
    public static HubSettings FromEnvironment() => From(Environment.GetEnvironmentVariable);

    /// <summary>The settings that the variables <paramref name="get"/> returns describe.</summary>
    public static HubSettings From(Func<string, string?> get)
    {
        string home = Expand(Value(get, "HF_HOME")
            ?? Path.Combine(Value(get, "XDG_CACHE_HOME") ?? Path.Combine(UserHome(), ".cache"), "huggingface"));
        string cache = Expand(Value(get, "HF_HUB_CACHE") ?? Value(get, "HUGGINGFACE_HUB_CACHE") ?? Path.Combine(home, "hub"));
        string endpoint = (Value(get, "HF_ENDPOINT") ?? "https://huggingface.co").TrimEnd('/');
        string? token = Value(get, "HF_TOKEN");
        if (token is null)
        {
            string tokenPath = Expand(Value(get, "HF_TOKEN_PATH") ?? Path.Combine(home, "token"));
            if (File.Exists(tokenPath)) token = File.ReadAllText(tokenPath).Trim() is { Length: > 0 } t ? t : null;
        }
        bool offline = IsTrue(get("HF_HUB_OFFLINE") ?? get("TRANSFORMERS_OFFLINE"));
        return new HubSettings { Endpoint = endpoint, Cache = cache, Token = token, Offline = offline };
    }

    private static string? Value(Func<string, string?> get, string name) => get(name) is { Length: > 0 } v ? v : null;

    private static bool IsTrue(string? v) => v is not null && v.ToUpperInvariant() is "1" or "ON" or "YES" or "TRUE";

    private static string UserHome() => Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);

    private static string Expand(string path) =>
        path == "~" || path.StartsWith("~/", StringComparison.Ordinal) ? UserHome() + path[1..] : Environment.ExpandEnvironmentVariables(path);
}
