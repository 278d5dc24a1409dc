using System.Text.Json.Nodes;

namespace Skald.Cli.Tests.Hub;

/// <summary>
/// <c>skald evaluate</c> as the hub tests run it: in <c>dir</c> with the environment given (<see cref="HubEnvironment.Env"/>,
/// or none), its result written to a file of its own and read back.
/// </summary>
internal static class EvaluateRuns
{
    /// <summary>
    /// The result of <c>skald evaluate ARGS --output FILE</c> (a new file under <paramref name="dir"/>), run in
    /// <paramref name="dir"/> with <paramref name="env"/>; a run that fails fails the test with its stderr.
    /// </summary>
    public static JsonNode Evaluate(string dir, Dictionary<string, string>? env, params string[] args)
    {
        string output = Path.Combine(dir, Guid.NewGuid().ToString("N") + ".json");
        var r = SkaldProcess.RunWith(dir, env, ["evaluate", "--output", output, .. args]);
        Assert.True(r.ExitCode == 0, r.Stderr);
        return JsonNode.Parse(File.ReadAllText(output))!;
    }

    /// <summary>The metric <paramref name="key"/> of <paramref name="result"/>; a key it lacks fails the test naming the keys it has.</summary>
    public static double Metric(JsonNode result, string key) =>
        (double?)result["metrics"]![key] ?? throw new Xunit.Sdk.XunitException($"no {key} in {result["metrics"]!.ToJsonString()}");
}
