namespace Skald.Training.Tests.Config;

/// <summary>The smallest training config the loader accepts (model, data, output), which config tests extend.</summary>
internal static class MinimalConfig
{
    /// <summary>Six lines, ending with the output section (a key appended indented lands in it).</summary>
    public const string Yaml = """
        model:
          path: m
        data:
          train: d.jsonl
        output:
          dir: out
        """;
}
