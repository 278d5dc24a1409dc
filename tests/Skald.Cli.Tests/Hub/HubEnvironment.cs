using Skald.Hub;

namespace Skald.Cli.Tests.Hub;

/// <summary>
/// The hub variables every hub test gives the skald processes it starts (<c>using static</c> this class, then
/// <c>Env(home, hub.Endpoint)</c>), so that none of the machine's own (a token, a cache, offline mode) reaches them,
/// and the settings an in-process hub client reads from them (<see cref="Settings"/>).
/// </summary>
internal static class HubEnvironment
{
    /// <summary>
    /// HF_HOME <paramref name="home"/> (the cache under it, HF_HUB_CACHE emptied), HF_ENDPOINT
    /// <paramref name="endpoint"/> (a <see cref="MockHub"/>'s, or a port nothing answers on), HF_TOKEN
    /// <paramref name="token"/> (empty: none, as for a public repository) and HF_HUB_OFFLINE 1 when
    /// <paramref name="offline"/> (empty otherwise).
    /// </summary>
    public static Dictionary<string, string> Env(string home, string endpoint, string token = "", bool offline = false) => new()
    {
        ["HF_HOME"] = home, ["HF_ENDPOINT"] = endpoint, ["HF_HUB_OFFLINE"] = offline ? "1" : "", ["HF_TOKEN"] = token, ["HF_HUB_CACHE"] = "",
    };

    /// <summary>
    /// The settings of an in-process hub client (a <see cref="HubUploader"/>) against <paramref name="hub"/> with its
    /// token, the cache under <paramref name="home"/>: what <see cref="HubSettings.From"/> reads from
    /// <see cref="Env"/>(home, hub.Endpoint, MockHub.Token).
    /// </summary>
    public static HubSettings Settings(MockHub hub, string home)
    {
        var env = Env(home, hub.Endpoint, MockHub.Token);
        return HubSettings.From(name => env.GetValueOrDefault(name));
    }
}
