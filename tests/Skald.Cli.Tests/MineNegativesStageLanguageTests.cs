using System.Text.Json;

namespace Skald.Cli.Tests;

/// <summary>
/// A pipeline <c>mine_negatives</c> stage's <c>language</c> key: what <c>data mine-negatives --language</c> takes
/// (auto: each passage stemmed in its own language), a bad value one line naming the pipeline file, line and key, and
/// the key refused with an embedding model, whose candidates no stemmer picks.
/// </summary>
public sealed class MineNegativesStageLanguageTests
{
    // Danish "fakturaerne" is "faktura" by the Danish stemmer, "fakturaern" by the Norwegian one (and unstemmed)
    private const string Danish = "Fakturaerne sendes i morgen, og hvis nogen ikke har betalt efter fjorten dage, bliver der sendt en rykker. Hvad der sker derefter, ved vi ikke meget om.";

    /// <summary>
    /// A pipeline of one mine_negatives stage, <c>mined</c>, with <paramref name="keys"/> (indented as its keys) over a
    /// pair and <paramref name="passages"/> (a Danish one when none are given) as its corpus; the config and the output folder.
    /// </summary>
    internal static (string Config, string OutDir) Write(string keys, IEnumerable<string>? passages = null)
    {
        string dir = TestPaths.NewTempDir(), pairs = Path.Combine(dir, "pairs.jsonl"), corpus = Path.Combine(dir, "corpus.txt");
        File.WriteAllText(pairs, JsonSerializer.Serialize(new { anchor = "fakturaer", positive = "Bilene står ute og blir vasket i morgen, men det er ikke noe vi kan gjøre noe med." }) + "\n");
        File.WriteAllLines(corpus, passages ?? [Danish]);
        string config = Path.Combine(dir, "pipeline.yaml"), outDir = Path.Combine(dir, "out");
        File.WriteAllText(config, $"""
            output: {outDir}
            stages:
              - name: mined
                type: mine_negatives
                data: {pairs}
                corpus: {corpus}
                num_negatives: 1
                relative_margin: none
            {keys}
            """);
        return (config, outDir);
    }

    private static string[] Negatives(string outDir) =>
        [.. File.ReadAllLines(Path.Combine(outDir, "mined.jsonl")).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("negative").GetString()!)];

    [Fact]
    public void LanguageAutoStemsEachPassageInItsOwnLanguage()
    {
        var (config, outDir) = Write("    model: bm25\n    language: auto");
        var r = InProcessSkald.Capture("pipeline", "--config", config, "--quiet");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal([Danish], Negatives(outDir));
        // one Norwegian stemmer for every passage does not find the Danish one: no negative at all
        (config, _) = Write("    model: bm25\n    language: nb");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("pipeline", "--config", config, "--quiet"), 1, "no anchor got a negative");
    }

    [Theory]
    [InlineData("    model: bm25\n    language: sw", ":10: mined.language sw: did you mean 'sv'?: BM25 stems nb, nn, da, sv", "or auto: each document in its own")]
    [InlineData("    model: bm25\n    language: auto-detect", ":10: mined.language auto-detect", "or auto: each document in its own")]
    [InlineData("    model: MODEL\n    language: auto", ":10: mined.language is not used with an embedding model", "remove it")]
    public void ABadLanguageIsOneLineNamingTheFileAndKey(string keys, string where, string more)
    {
        var (config, outDir) = Write(keys.Replace("MODEL", TestPaths.FixtureModel("bert-cased-mean"), StringComparison.Ordinal));
        var r = InProcessSkald.Capture("pipeline", "--config", config, "--quiet");
        SkaldProcess.AssertUserError(r, 1, config + where, more);
        Assert.False(File.Exists(Path.Combine(outDir, "mined.jsonl")));
    }
}
