using System.Text.RegularExpressions;
using Skald.Training.Config;

namespace Skald.Training.Tests.Config;

/// <summary>
/// configs/train-example.yaml says it lists every key Skald reads; the keys of supervised fine-tuning may be shown in
/// configs/sft-example.yaml instead. The keys are the config reader's own: an unknown key in a section is refused with
/// the list of the keys the reader asked that section for, so a key added to the reader and to neither example fails
/// here (training.group_by_length was only in sft-example.yaml; the cross-encoder loss keys only in reranker-example.yaml).
/// </summary>
public sealed partial class ExampleConfigKeysTests
{
    // The refusal's tail: "(known keys in SECTION: a, b, c)".
    [GeneratedRegex(@"\(known keys in ([a-z]+): ([a-z0-9_, ]+)\)$")]
    private static partial Regex KnownKeys();

    // A section's first line, set ("lora:") or shown commented out ("# lora:").
    [GeneratedRegex(@"^(?:# )?([a-z]+):")]
    private static partial Regex SectionLine();

    // A key of a section, set ("  r: 16") or shown commented out ("  # r: 16", "#   r: 16").
    [GeneratedRegex(@"^#?\s+(?:#\s*)?([a-z0-9_]+):")]
    private static partial Regex KeyLine();

    [Theory]
    [MemberData(nameof(Sections))]
    public void EveryKeyTheReaderKnowsIsInAnExampleConfig(string section)
    {
        var shown = ExampleKeys("train-example.yaml").Concat(ExampleKeys("sft-example.yaml")).ToHashSet();
        string[] keys = ReaderKeys(section);
        Assert.True(keys.Length > 1, $"{section}: {string.Join(", ", keys)}");
        var missing = keys.Where(k => !shown.Contains($"{section}.{k}")).ToList();
        Assert.True(missing.Count == 0, $"{section} keys in neither example: {string.Join(", ", missing)}");
    }

    /// <summary>The sections of a training config, as the loader names them.</summary>
    public static TheoryData<string> Sections() => [.. ConfigLoader.Sections];

    /// <summary>The keys the reader knows in <paramref name="section"/>, read from its refusal of one it does not know.</summary>
    private static string[] ReaderKeys(string section)
    {
        var e = Assert.Throws<TrainingException>(() => ConfigLoader.Parse(MinimalConfig.Yaml, "c.yaml", [$"{section}.zz_not_a_key=1"]));
        var m = KnownKeys().Match(e.Message);
        Assert.True(m.Success, e.Message);
        Assert.Equal(section, m.Groups[1].Value);
        return m.Groups[2].Value.Split(", ");
    }

    /// <summary>"section.key" for every key an example config sets or shows commented out under a section.</summary>
    private static IEnumerable<string> ExampleKeys(string file)
    {
        string section = "";
        foreach (string line in File.ReadLines(Path.Combine(InfraPaths.RepoRoot, "configs", file)))
        {
            if (SectionLine().Match(line) is { Success: true } s && ConfigLoader.Sections.Contains(s.Groups[1].Value)) section = s.Groups[1].Value;
            else if (section.Length > 0 && KeyLine().Match(line) is { Success: true } k) yield return $"{section}.{k.Groups[1].Value}";
        }
    }
}
