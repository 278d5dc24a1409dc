using System.Text.Json;
using Skald.Models;
using Skald.Retrieval.Mining;

namespace Skald.Cli.Tests;

/// <summary><c>skald mine paraphrases|communities</c>: the library's results over the model's embeddings, written as JSONL; misuse is one line.</summary>
public sealed class MineCommandTests
{
    private static readonly string Model = TestPaths.FixtureModel("bert-cased-mean");

    private static readonly string[] Texts =
    [
        "Hvor ligger legekontoret?", "Hvor er legekontoret?", "Når går bussen?", "Når går neste buss?", "Kantinen serverer suppe.",
        "Kantina har suppe i dag.", "Biblioteket åpner klokka ni.", "Når åpner biblioteket?",
    ];

    [Fact]
    public void ParaphrasesAndCommunitiesAreTheLibrarysOverTheModelsEmbeddings()
    {
        string dir = TestPaths.NewTempDir();
        string input = Path.Combine(dir, "texts.txt"), pairsFile = Path.Combine(dir, "pairs.jsonl"), groups = Path.Combine(dir, "communities.jsonl");
        File.WriteAllLines(input, Texts);
        var embeddings = SentenceEncoder.Load(Model).Encode(Texts);

        var r = InProcessSkald.Capture("mine", "paraphrases", "--model", Model, "--input", input, "--output", pairsFile, "--top-k", "2");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var expected = ParaphraseMining.Mine(embeddings, topK: 2);
        var lines = File.ReadAllLines(pairsFile).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(expected.Count, lines.Count);
        for (int i = 0; i < lines.Count; i++)
        {
            Assert.Equal((expected[i].First, expected[i].Second), (lines[i].GetProperty("first").GetInt32(), lines[i].GetProperty("second").GetInt32()));
            Assert.Equal(expected[i].Score, lines[i].GetProperty("score").GetSingle(), 5);
            Assert.Equal(Texts[expected[i].First], lines[i].GetProperty("text1").GetString());
        }

        r = InProcessSkald.Capture("mine", "communities", "--model", Model, "--input", input, "--output", groups, "--threshold", "0.9", "--min-size", "2");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var communities = CommunityDetection.Find(embeddings, 0.9f, 2);
        var written = File.ReadAllLines(groups).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(communities.Count, written.Count);
        for (int c = 0; c < written.Count; c++)
        {
            Assert.Equal(communities[c], written[c].GetProperty("members").EnumerateArray().Select(x => x.GetInt32()));
            Assert.Equal(communities[c].Select(i => Texts[i]), written[c].GetProperty("texts").EnumerateArray().Select(x => x.GetString()));
        }
    }

    [Fact]
    public void BitextPairsAreTheLibrarysOverDistinctLines()
    {
        string dir = TestPaths.NewTempDir();
        string source = Path.Combine(dir, "nb.txt"), target = Path.Combine(dir, "nn.txt"), output = Path.Combine(dir, "pairs.jsonl");
        string[] sources = ["Hvor ligger legekontoret?", "Når går bussen?", "Når går bussen?", "Kantinen serverer suppe."];
        string[] targets = ["Kantina serverer suppe.", "Kor ligg legekontoret?", "Når går bussen?", "Fjorden ligg stille."];
        File.WriteAllLines(source, sources);
        File.WriteAllLines(target, targets);
        var r = InProcessSkald.Capture("mine", "bitext", "--model", Model, "--source", source, "--target", target, "--output", output, "--k", "2", "--min-score", "0.5");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var encoder = SentenceEncoder.Load(Model);
        string[] distinct = [.. sources.Distinct()];
        var expected = BitextMining.Mine(encoder.Encode(distinct), encoder.Encode(targets), 2, 0.5);
        var lines = File.ReadAllLines(output).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.NotEmpty(lines);
        Assert.Equal(expected.Count, lines.Count);
        for (int i = 0; i < lines.Count; i++)
        {
            Assert.Equal(distinct[expected[i].Source], lines[i].GetProperty("source").GetString());
            Assert.Equal(targets[expected[i].Target], lines[i].GetProperty("target").GetString());
            Assert.Equal(Array.IndexOf(sources, distinct[expected[i].Source]) + 1, lines[i].GetProperty("source_line").GetInt32());
        }
    }

    [Fact]
    public void MisusesAreOneLine()
    {
        string input = Path.Combine(TestPaths.NewTempDir(), "texts.txt");
        File.WriteAllLines(input, Texts);
        SkaldProcess.AssertUserError(InProcessSkald.Capture("mine", "communities", "--model", Model, "--input", input, "--min-size", "0"), 2, "--min-size");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("mine", "paraphrases", "--model", TestPaths.FixtureModel("splade-bert-tiny"), "--input", input), 2, "sparse encoder");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("mine", "paraphrases", "--model", "bm25", "--input", input), 2, "bm25 (the lexical scorer");
    }

    [Fact]
    public void AnOutputThatIsAnInputIsRefusedAndTheInputKept()
    {
        string dir = TestPaths.NewTempDir();
        string input = Path.Combine(dir, "texts.txt"), other = Path.Combine(dir, "other.txt");
        File.WriteAllLines(input, Texts);
        File.WriteAllLines(other, Texts[..4]);
        string before = File.ReadAllText(input);
        SkaldProcess.AssertUserError(InProcessSkald.Capture("mine", "paraphrases", "--model", Model, "--input", input, "--output", input), 2,
            "--output " + input, "is the input");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("mine", "communities", "--model", Model, "--input", input, "--output",
            Path.Combine(dir, ".", "texts.txt"), "--min-size", "2"), 2, "is the input");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("mine", "bitext", "--model", Model, "--source", other, "--target", input, "--output", input), 2,
            "is the input " + input);
        Assert.Equal(before, File.ReadAllText(input));
    }
}
