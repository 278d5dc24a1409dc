namespace Skald.Cli.Tests;

/// <summary>A pipeline file for <c>skald pipeline --config</c>, written by the tests that run one.</summary>
internal static class PipelineFile
{
    /// <summary>
    /// Writes pipeline.yaml in <paramref name="dir"/>: <c>output: <paramref name="output"/></c>, then <paramref name="stages"/>
    /// (YAML lines under <c>stages:</c>, which start on line 3); returns its path.
    /// </summary>
    public static string Write(string dir, string output, params string[] stages)
    {
        string file = Path.Combine(dir, "pipeline.yaml");
        File.WriteAllText(file, $"output: {output}\nstages:\n" + string.Concat(stages.Select(l => l + "\n")));
        return file;
    }
}
