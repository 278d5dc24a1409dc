using System.Text.Json;
using System.Text.RegularExpressions;
using Skald.Training.Config;

namespace Skald.Training.Tests.Config;

/// <summary>
/// configs/train-example.yaml lists every key "with its default": a key it sets to something else says so in its
/// comment. It showed warmup_steps 100, evaluation.steps 100, max_eval_samples 1000 and retrieval_max_queries 200 as if
/// they were the defaults, which are 0, 0 (evaluate at the end only), all rows and all queries.
/// </summary>
public sealed partial class ExampleConfigDefaultsTests
{
    private const string Minimal = "model:\n  path: m\ndata:\n  train: d.jsonl\noutput:\n  dir: out\n";

    [GeneratedRegex(@"^  ([a-z_0-9]+):(.*)$")]
    private static partial Regex KeyLine();

    private static string Json(TrainingConfig c) => JsonSerializer.Serialize(c with { SourcePath = "" });

    [Fact]
    public void AValueOtherThanTheDefaultSaysTheDefault()
    {
        string[] lines = File.ReadAllLines(Path.Combine(InfraPaths.RepoRoot, "configs", "train-example.yaml"));
        string defaults = Json(ConfigLoader.Parse(Minimal, "c.yaml"));
        string section = "";
        var undocumented = new List<string>();
        int checkedKeys = 0;
        for (int i = 0; i < lines.Length; i++)
        {
            if (Regex.IsMatch(lines[i], "^[a-z]+:$")) section = lines[i].TrimEnd(':');
            if (KeyLine().Match(lines[i]) is not { Success: true } m) continue;
            string key = m.Groups[1].Value, value = m.Groups[2].Value.Split(" #")[0].Trim();
            if (key is "path" or "train" or "dir") continue; // required: no default
            checkedKeys++;
            if (Json(ConfigLoader.Parse(Minimal, "c.yaml", [$"{section}.{key}={value}"])) == defaults) continue;
            string comment = string.Join("\n", lines[..i].Reverse().TakeWhile(l => l.TrimStart().StartsWith('#')));
            if (!comment.Contains("default", StringComparison.Ordinal)) undocumented.Add($"{section}.{key}: {value}");
        }
        Assert.True(checkedKeys > 40, $"only {checkedKeys} keys read");
        Assert.Empty(undocumented);
    }
}
