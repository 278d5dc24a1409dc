using System.Runtime.CompilerServices;

namespace Skald.Tests;

/// <summary>
/// Tests never reach the internet: a model path that looks like a hub id ("org/name") and is not a folder would be
/// fetched from HF_ENDPOINT, so every test assembly (and every skald process it starts, which inherits the variable)
/// points HF_ENDPOINT at the discard port on loopback unless a test sets its own mock hub.
/// </summary>
internal static class NoNetwork
{
    [ModuleInitializer]
    internal static void PointTheHubAtLoopback()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("HF_ENDPOINT")))
            Environment.SetEnvironmentVariable("HF_ENDPOINT", "http://127.0.0.1:9");
    }
}
