using System.Text.Json;
using Skald.Models.LateInteraction;

namespace Skald.Models.Tests.LateInteraction;

/// <summary>
/// Stanford ColBERT checkpoints (HF_ColBERT, artifact.metadata, no modules.json) against
/// fixtures/models/make_stanford_colbert.py's plain-PyTorch re-statement of the Stanford code's QueryTokenizer /
/// DocTokenizer and ColBERT.query / doc (colbert-stanford-tiny: [unused0]/[unused1] markers after [CLS], queries
/// expanded with [MASK] to query_maxlen, attended and not, documents cut to doc_maxlen with the punctuation skiplist,
/// which PyLate applies whatever mask_punctuation says), each reference text encoded alone and Skald's in padded batches.
/// </summary>
public sealed class StanfordColbertTests
{
    private const float Tolerance = 1e-5f;

    private sealed record Expected(string Text, int[] Ids, float[] Vectors);

    private static string Folder => TestPaths.FixtureModel("colbert-stanford-tiny");

    private static List<Expected> Read(string file) =>
        [.. File.ReadLines(Path.Combine(Folder, file)).Where(l => l.Length > 0).Select(l =>
        {
            using var doc = JsonDocument.Parse(l);
            var r = doc.RootElement;
            return new Expected(r.GetProperty("text").GetString()!, [.. r.GetProperty("ids").EnumerateArray().Select(x => x.GetInt32())],
                [.. r.GetProperty("vectors").EnumerateArray().Select(x => x.GetSingle())]);
        })];

    private static void AssertMatches(IReadOnlyList<Expected> expected, TokenVectors[] actual)
    {
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Ids, actual[i].TokenIds);
            Assert.Equal(expected[i].Vectors.Length, actual[i].Values.Length);
            for (int j = 0; j < expected[i].Vectors.Length; j++)
                Assert.True(Math.Abs(actual[i].Values[j] - expected[i].Vectors[j]) <= Tolerance,
                    $"text {i} (\"{expected[i].Text}\"), value {j}: {actual[i].Values[j]} vs {expected[i].Vectors[j]}");
        }
    }

    // A copy of the fixture with artifact.metadata's text edited.
    private static string WithMetadata(string from, string to)
    {
        string copy = TestPaths.CopyFolder(Folder, Path.Combine(TestPaths.NewTempDir(), "stanford"));
        string file = Path.Combine(copy, StanfordColbert.MetadataFile);
        string text = File.ReadAllText(file);
        Assert.Contains(from, text);
        File.WriteAllText(file, text.Replace(from, to, StringComparison.Ordinal));
        return copy;
    }

    [Fact]
    public void SettingsComeFromArtifactMetadataAsPyLateReadsThem()
    {
        Assert.True(StanfordColbert.IsStanford(Folder));
        Assert.True(ColbertEncoder.IsColbert(Folder));
        Assert.False(StanfordColbert.IsStanford(TestPaths.FixtureModel("colbert-bert-tiny")));
        Assert.False(StanfordColbert.IsStanford(TestPaths.FixtureModel("bert-cased-mean")));
        using var model = ColbertEncoder.Load(Folder);
        var s = model.Settings;
        Assert.Equal(("[unused0]", "[unused1]", 16, 24, true, false), (s.QueryPrefix, s.DocumentPrefix, s.QueryLength, s.DocumentLength, s.DoQueryExpansion, s.AttendToExpansionTokens));
        Assert.Equal(16, model.Dimension);
        Assert.Equal(32, s.SkiplistWords.Count);
    }

    [Theory]
    [InlineData("expected_queries.jsonl", false)]
    [InlineData("expected_queries_attend.jsonl", true)]
    public void QueryVectorsMatchTheStanfordQueryEncoder(string file, bool attend)
    {
        string folder = attend ? WithMetadata("\"attend_to_mask_tokens\": false", "\"attend_to_mask_tokens\": true") : Folder;
        using var model = ColbertEncoder.Load(folder);
        var expected = Read(file);
        AssertMatches(expected, model.EncodeQueries([.. expected.Select(e => e.Text)], batchSize: 6));
    }

    // PyLate reads no mask_punctuation: false skips string.punctuation as true does (the Stanford code would keep it).
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void DocumentVectorsMatchTheStanfordDocumentEncoderWithPyLatesSkiplist(bool maskPunctuation)
    {
        string folder = maskPunctuation ? Folder : WithMetadata("\"mask_punctuation\": true", "\"mask_punctuation\": false");
        using var model = ColbertEncoder.Load(folder);
        var expected = Read("expected_documents.jsonl");
        AssertMatches(expected, model.EncodeDocuments([.. expected.Select(e => e.Text)], batchSize: 6));
    }

    [Fact]
    public void MaskPunctuationFalseTrainsWithPyLatesSkiplist()
    {
        // Python's string.punctuation, which PyLate's ColBERT.__init__ takes as skiplist_words when nothing names one
        string[] punctuation = [.. "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~".Select(c => c.ToString())];
        using var model = SentenceEncoder.LoadLateInteraction(WithMetadata("\"mask_punctuation\": true", "\"mask_punctuation\": false"));
        var inputs = model.LateInteraction!;
        Assert.Equal(punctuation, inputs.Settings.SkiplistWords);
        int comma = inputs.Tokenizer.TokenToId(",")!.Value;
        Assert.False(inputs.Keeps(comma, 1, isQuery: false)); // the loss's document mask leaves it out
    }

    [Fact]
    public void MaxSimScoresMatchColbertScore()
    {
        using var model = ColbertEncoder.Load(Folder);
        var texts = Read("expected_documents.jsonl").Select(e => e.Text).ToList();
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, "expected_scores.json")));
        var scores = doc.RootElement.GetProperty("scores");
        var queries = model.EncodeQueries(texts);
        var documents = model.EncodeDocuments(texts);
        for (int q = 0; q < texts.Count; q++)
        {
            for (int d = 0; d < texts.Count; d++)
            {
                float expected = scores[q][d].GetSingle(), actual = ColbertEncoder.Score(queries[q], documents[d]);
                Assert.True(Math.Abs(actual - expected) <= Tolerance, $"query {q}, document {d}: {actual} vs {expected}");
            }
        }
    }

    [Fact]
    public void WithoutMetadataThePrefixesAreTheUnusedTokensAndTheLengthsPyLates()
    {
        string copy = TestPaths.CopyFolder(Folder, Path.Combine(TestPaths.NewTempDir(), "stanford"));
        File.Delete(Path.Combine(copy, StanfordColbert.MetadataFile));
        var s = StanfordColbert.ReadSettings(copy);
        Assert.Equal(("[unused0]", "[unused1]", 32, 180, false), (s.QueryPrefix, s.DocumentPrefix, s.QueryLength, s.DocumentLength, s.AttendToExpansionTokens));
    }

    [Fact]
    public void ItIsRefusedAsASentenceEmbedderAndLoadsForTrainingAsPyLateLoadsIt()
    {
        Assert.Contains("Stanford ColBERT checkpoint", Assert.Throws<ModelFormatException>(() => SentenceEncoder.Load(Folder)).Message);
        using var model = SentenceEncoder.LoadLateInteraction(Folder);
        Assert.Equal(["1_Dense/linear.weight"], model.Parameters.Where(p => p.Name.Contains('/')).Select(p => p.Name).ToArray());
        Assert.DoesNotContain(model.Parameters, p => p.Name.StartsWith("bert.", StringComparison.Ordinal) || p.Name == "linear.weight");
        var s = model.LateInteraction!.Settings;
        Assert.Equal(("[unused0]", "[unused1]", 16, 24, false), (s.QueryPrefix, s.DocumentPrefix, s.QueryLength, s.DocumentLength, s.AttendToExpansionTokens));
        Assert.Equal(16, model.Dimension);

        string copy = TestPaths.CopyFolder(Folder, Path.Combine(TestPaths.NewTempDir(), "stanford"));
        string metadata = Path.Combine(copy, StanfordColbert.MetadataFile);
        File.WriteAllText(metadata, File.ReadAllText(metadata).Replace("\"query_maxlen\": 16", "\"query_maxlen\": 65", StringComparison.Ordinal));
        var e = Assert.Throws<ModelFormatException>(() => SentenceEncoder.LoadLateInteraction(copy));
        Assert.Contains("key \"query_maxlen\" is 65", e.Message); // checked for training as for encoding
    }

    [Theory]
    [InlineData("\"doc_maxlen\": 24", "\"doc_maxlen\": \"24\"", "key \"doc_maxlen\" must be an integer")]
    [InlineData("\"doc_maxlen\": 24", "\"doc_maxlen\": 1", "key \"doc_maxlen\" must be at least 2")]
    [InlineData("\"query_maxlen\": 16", "\"query_maxlen\": 65", "key \"query_maxlen\" is 65, more tokens than the model's 64 positions")]
    [InlineData("\"dim\": 16", "\"dim\": 128", "key \"dim\" is 128")]
    [InlineData("\"query_token_id\": \"[unused0]\"", "\"query_token_id\": \"[unused7]\"", "key \"query_token_id\" names the token \"[unused7]\"")]
    [InlineData("\"attend_to_mask_tokens\": false", "\"attend_to_mask_tokens\": 0", "key \"attend_to_mask_tokens\" must be true or false")]
    [InlineData("\"similarity\": \"cosine\"", "\"similarity\": \"dot\"", "key \"similarity\" must be \"cosine\" or \"l2\"")]
    [InlineData("\"similarity\": \"cosine\",", "\"similarity\": \"cosine\"", "artifact.metadata")]
    public void BadMetadataIsOneLineNamingTheFileAndKey(string from, string to, string message)
    {
        string copy = WithMetadata(from, to);
        var e = Assert.Throws<ModelFormatException>(() => ColbertEncoder.Load(copy));
        Assert.StartsWith(Path.GetFullPath(Path.Combine(copy, StanfordColbert.MetadataFile)), Path.GetFullPath(e.Message.Split(": ")[0]));
        Assert.Contains(message, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }
}
