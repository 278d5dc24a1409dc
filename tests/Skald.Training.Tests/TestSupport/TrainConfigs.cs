namespace Skald.Training.Tests;

/// <summary>Small <c>skald train</c> configs for CLI tests, and the check that a bad one is refused in one line.</summary>
internal static class TrainConfigs
{
    /// <summary>
    /// Writes a config in <paramref name="dir"/> training <paramref name="model"/> on <paramref name="data"/> (batches of
    /// 4, <paramref name="maxSteps"/> steps) with the loss section's lines <paramref name="loss"/> (each indented two
    /// spaces); <paramref name="outDir"/> is a new folder under <paramref name="dir"/>.
    /// </summary>
    public static string Write(string dir, string model, string data, string loss, out string outDir, int maxSteps = 2, bool noDuplicates = true)
    {
        outDir = Path.Combine(dir, Guid.NewGuid().ToString("N"));
        return InfraPaths.WriteFile(dir, $"c{Guid.NewGuid():N}.yaml", $"""
            model:
              path: {model}
            data:
              train: {data}
            training:
              batch_size: 4
              max_steps: {maxSteps}
              no_duplicates: {(noDuplicates ? "true" : "false")}
            output:
              dir: {outDir}
            loss:
            {loss}
            """);
    }

    /// <summary><c>skald train --config</c> exits 1 with one line containing <paramref name="message"/>.</summary>
    public static void AssertRefused(string dir, string config, string message)
    {
        var r = SkaldProcess.RunIn(dir, "train", "--config", config, "--quiet");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains(message, r.Stderr);
        Assert.Single(r.Stderr.Trim().Split('\n'));
    }
}
