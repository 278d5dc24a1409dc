using Skald.Tensors;
using Skald.Training.Config;
using Skald.Training.Data;

namespace Skald.Training.Tests.Data;

/// <summary>
/// FlagEmbedding's training rows (<see cref="FlagEmbeddingReader"/>, <see cref="FlagEmbeddingGroups"/>): detected by
/// their keys, every fault one line naming file, line and key; each epoch's draw follows AbsEmbedderTrainDataset's rules
/// (one positive, negatives without replacement, or from the negatives repeated ⌈(G − 1)/n⌉ times when too few),
/// checked against those rules and against their expected frequencies, and is a pure function of (seed, epoch, group);
/// a teacher's scores follow the drawn documents; a row's prompt is kept for the query instruction (upstream reads it only there).
/// </summary>
public sealed class FlagEmbeddingDataTests
{
    private readonly string dir = TestPaths.NewTempDir();

    private string Write(string name, params string[] lines)
    {
        string path = Path.Combine(dir, name);
        File.WriteAllText(path, string.Join("\n", lines) + "\n");
        return path;
    }

    private static string Row(int i, int positives = 2, int negatives = 4, bool scores = false) =>
        $"{{\"query\": \"spørsmål {i}\", \"pos\": [{string.Join(", ", Enumerable.Range(0, positives).Select(p => $"\"svar {i}.{p}\""))}], " +
        $"\"neg\": [{string.Join(", ", Enumerable.Range(0, negatives).Select(n => $"\"feil {i}.{n}\""))}]" +
        (scores ? $", \"pos_scores\": [{string.Join(", ", Enumerable.Range(0, positives).Select(p => $"{10 + p}"))}], " +
            $"\"neg_scores\": [{string.Join(", ", Enumerable.Range(0, negatives).Select(n => $"-{n}.5"))}]" : "") + "}";

    [Fact]
    public void AFileIsReadAsItsGroupsAndEachRowIsADrawOfThem()
    {
        var d = DatasetReader.Read(Write("flag.jsonl", Row(0), Row(1), Row(2)), groupSize: 3);
        Assert.NotNull(d.Groups);
        Assert.Equal(["query", "pos", "neg[0]", "neg[1]"], d.Columns);
        Assert.Equal(3, d.Count);
        Assert.Null(d.Labels);
        Assert.Equal([1, 2, 3], d.Lines);
        for (int r = 0; r < 3; r++)
        {
            var row = d.Rows[r];
            Assert.Equal($"spørsmål {r}", row[0]);
            Assert.StartsWith($"svar {r}.", row[1]);
            Assert.All(row[2..], n => Assert.StartsWith($"feil {r}.", n));
            Assert.NotEqual(row[2], row[3]); // four negatives: two distinct ones
        }
    }

    [Fact]
    public void SentenceTransformersFilesWithAQueryColumnAreNotTakenForFlagEmbeddings()
    {
        // a pair file whose columns happen to be called query and pos (texts, not lists) stays a table
        var d = DatasetReader.Read(Write("pairs.jsonl", "{\"query\": \"a\", \"pos\": \"b\"}", "{\"query\": \"c\", \"pos\": \"d\"}"));
        Assert.Null(d.Groups);
        Assert.Equal(["query", "pos"], d.Columns);
        // listwise rows (a list with its labels) stay listwise
        var l = DatasetReader.Read(Write("list.jsonl", "{\"query\": \"a\", \"pos\": [\"b\", \"c\"], \"labels\": [1, 0]}"));
        Assert.Null(l.Groups);
        Assert.Equal("pos", l.ListColumn);
    }

    [Theory]
    [InlineData("{\"query\": \"q\", \"pos\": [\"p\"], \"neg\": [\"n\"]}|{\"anchor\": \"a\", \"positive\": \"b\"}", 2, "key 'query' is missing")]
    [InlineData("{\"query\": \"q\", \"pos\": [\"p\"], \"neg\": [\"n\"]}|{\"query\": \"q\", \"neg\": [\"n\"]}", 2, "key 'pos' is missing")]
    [InlineData("{\"query\": \"q\", \"pos\": [], \"neg\": [\"n\"]}", 1, "key 'pos' is empty")]
    [InlineData("{\"query\": \"q\", \"pos\": [\"p\", 3], \"neg\": [\"n\"]}", 1, "key 'pos': entry 1 is a number, not a text")]
    [InlineData("{\"query\": \"q\", \"pos\": [\"p\"], \"neg\": [\"n\", null]}", 1, "key 'neg': entry 1 is a null, not a text")]
    [InlineData("{\"query\": \"q\", \"pos\": [\"p\"], \"neg\": [\" \"]}", 1, "key 'neg': entry 0 is an empty text")]
    [InlineData("{\"query\": 7, \"pos\": [\"p\"], \"neg\": [\"n\"]}", 1, "key 'query' must be a string")]
    [InlineData("{\"query\": \"\", \"pos\": [\"p\"], \"neg\": [\"n\"]}", 1, "key 'query' is an empty text")]
    [InlineData("{\"query\": \"q\", \"pos\": [\"p\"], \"neg\": \"n\"}", 1, "key 'neg' must be a list of texts")]
    [InlineData("{\"query\": \"q\", \"pos\": [\"p\"]}", 1, "key 'neg' is missing")]
    [InlineData("{\"query\": \"q\", \"pos\": [\"p\"], \"neg\": []}", 1, "key 'neg' is empty; data.train_group_size 8 draws 7 negatives")]
    [InlineData("{\"query\": \"q\", \"pos\": [\"p\"], \"neg\": [\"n\"], \"pos_scores\": [1]}", 1, "key 'neg_scores' is missing")]
    [InlineData("{\"query\": \"q\", \"pos\": [\"p\"], \"neg\": [\"n\"], \"pos_scores\": [1, 2], \"neg_scores\": [0]}", 1, "key 'pos_scores' has 2 scores for the 1 texts of 'pos'")]
    [InlineData("{\"query\": \"q\", \"pos\": [\"p\"], \"neg\": [\"n\"], \"pos_scores\": [1], \"neg_scores\": [\"x\"]}", 1, "key 'neg_scores': entry 0 must be a finite number, got \"x\"")]
    [InlineData("{\"query\": \"q\", \"pos\": [\"p\"], \"neg\": [\"n\"], \"pos_scores\": [1], \"neg_scores\": [0]}|{\"query\": \"q\", \"pos\": [\"p\"], \"neg\": [\"n\"]}", 2, "key 'pos_scores': missing here but present on line 1")]
    [InlineData("{\"query\": \"q\", \"pos\": [\"p\"], \"neg\": [\"n\"], \"prompt\": 1}", 1, "key 'prompt' must be a string")]
    [InlineData("{\"query\": \"q\", \"pos\": [\"p\"], \"neg\": [\"n\"], \"type\": 3}", 1, "key 'type' must be a string")]
    // a lone surrogate escape (valid JSON, no text) in type or prompt was an InvalidOperationException, an internal error
    [InlineData("{\"query\": \"q\", \"pos\": [\"p\"], \"neg\": [\"n\"], \"type\": \"\\ud800\"}", 1, "key 'type': field \"type\" holds a lone UTF-16 surrogate escape")]
    [InlineData("{\"query\": \"q\", \"pos\": [\"p\"], \"neg\": [\"n\"], \"prompt\": \"a\\udc00\"}", 1, "key 'prompt': field \"prompt\" holds a lone UTF-16 surrogate escape")]
    [InlineData("{\"query\": \"q\", \"pos\": [\"p\"], \"neg\": [\"n\"], \"train_group_size\": 0}", 1, "key 'train_group_size' must be a positive whole number, got 0")]
    [InlineData("{\"query\": \"q\", \"pos\": [\"p\"], \"neg\": [\"n\"], \"batch_size\": 2.5}", 1, "key 'batch_size' must be a positive whole number, got 2.5")]
    [InlineData("{\"query\": \"q\", \"pos\": [\"p\"], \"neg\": [\"n\"]}|[1, 2]", 2, "expected a JSON object with query, pos and neg")]
    [InlineData("{\"query\": \"q\", \"pos\": [\"p\"], \"neg\": [\"n\"]}|{\"query\": ", 2, "")]
    public void EveryFaultIsOneLineNamingFileLineAndKey(string content, int line, string message)
    {
        string path = Write("bad.jsonl", content.Split('|'));
        var e = Assert.Throws<TrainingException>(() => DatasetReader.Read(path));
        Assert.StartsWith($"{path}:{line}: ", e.Message);
        Assert.Contains(message, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void DataColumnsAndListReadersRefuseGroupsInOneLine()
    {
        string path = Write("flag.jsonl", Row(0));
        Assert.Contains("data.columns picks columns of a table", Assert.Throws<TrainingException>(() => DatasetReader.Read(path, ["query"])).Message);
        Assert.Contains("holds FlagEmbedding groups", Assert.Throws<TrainingException>(() => DatasetReader.Read(path).WithoutLists("mine-negatives")).Message);
    }

    [Fact]
    public void APromptIsKeptForTheQueryInstruction_InspectionWritesItBeforeItsQuery()
    {
        var d = DatasetReader.Read(Write("p.jsonl", "{\"query\": \"hvem skrev Peer Gynt?\", \"pos\": [\"Ibsen\"], \"neg\": [\"Hamsun\"], \"prompt\": \"Represent this query: \"}"), groupSize: 2);
        Assert.Equal("hvem skrev Peer Gynt?", d.Rows[0][0]); // no query instruction: upstream does not read the prompt
        Assert.Equal("Represent this query: ", d.Groups!.Prompts[0]);
        Assert.Equal("Represent this query: hvem skrev Peer Gynt?", d.Groups.Queries[0]);
    }

    [Fact]
    public void TeacherScoresFollowTheDrawnDocumentsInOrder()
    {
        var d = DatasetReader.Read(Write("kd.jsonl", Row(0, 3, 6, true), Row(1, 3, 6, true)), groupSize: 5);
        for (int epoch = 0; epoch < 6; epoch++)
        {
            var e = d.ForEpoch(99, epoch);
            Assert.Equal(5, e.LabelWidth);
            for (int r = 0; r < e.Count; r++)
            {
                // the positive "svar r.p" has score 10 + p, the negative "feil r.n" −n − 0.5 (Row's scores)
                Assert.Equal(10 + int.Parse(e.Rows[r][1].Split('.')[1], System.Globalization.CultureInfo.InvariantCulture), e.Labels![r * 5]);
                for (int k = 1; k < 5; k++)
                    Assert.Equal(-int.Parse(e.Rows[r][k + 1].Split('.')[1], System.Globalization.CultureInfo.InvariantCulture) - 0.5f, e.Labels![r * 5 + k]);
            }
        }
        Assert.Null(d.WithoutTeacherScores().Labels);
    }

    [Fact]
    public void DrawsArePureFunctionsOfSeedEpochAndGroup()
    {
        var d = DatasetReader.Read(Write("flag.jsonl", [.. Enumerable.Range(0, 12).Select(i => Row(i, 3, 9))]), groupSize: 4);
        Assert.Equal(d.ForEpoch(7, 3).Rows, d.ForEpoch(7, 3).Rows);
        Assert.NotEqual(d.ForEpoch(7, 3).Rows, d.ForEpoch(7, 4).Rows);
        Assert.NotEqual(d.ForEpoch(7, 3).Rows, d.ForEpoch(8, 3).Rows);
        // holding rows out (eval_split) or capping them keeps each group's draws
        var (train, held) = d.Split(0.25, 5);
        var all = d.ForEpoch(7, 3).Rows.ToDictionary(r => r[0]);
        Assert.All(train.ForEpoch(7, 3).Rows.Concat(held.ForEpoch(7, 3).Rows), r => Assert.Equal(all[r[0]], r));
        Assert.All(d.Take(5).ForEpoch(7, 3).Rows, r => Assert.Equal(all[r[0]], r));
    }

    [Theory]
    [InlineData(9, 8)] // enough negatives: 7 distinct of 9
    [InlineData(3, 8)] // too few: 7 of each of 3 repeated ⌈7/3⌉ = 3 times
    [InlineData(7, 8)] // exactly enough: a permutation of all 7
    [InlineData(2, 2)] // one negative of 2
    public void DrawsFollowFlagEmbeddingsRulesAndFrequencies(int negatives, int groupSize)
    {
        int wanted = groupSize - 1, copies = negatives < wanted ? (wanted + negatives - 1) / negatives : 1;
        const int Trials = 20000;
        var positives = new int[3];
        var counts = new long[negatives];
        var firstPlace = new long[negatives];
        for (int t = 0; t < Trials; t++)
        {
            var (pos, negs) = FlagEmbeddingGroups.Draw(3, negatives, groupSize, FlagEmbeddingGroups.GroupRandom(1, t, 17));
            positives[pos]++;
            Assert.Equal(wanted, negs.Length);
            var histogram = new int[negatives];
            foreach (int n in negs) histogram[n]++;
            Assert.All(histogram, h => Assert.InRange(h, 0, copies)); // never more often than the pool holds it
            if (negatives >= wanted) Assert.Equal(negs.Length, negs.Distinct().Count()); // without replacement
            for (int n = 0; n < negatives; n++) counts[n] += histogram[n];
            firstPlace[negs[0]]++;
        }
        // a uniform sample from the pool: each negative drawn wanted/n times per draw on average, each equally likely
        // first (random.sample returns its draw in random order); 20000 draws: every bound is 5 or more standard deviations out
        Assert.All(positives, p => Assert.InRange(p, Trials / 3.0 * 0.95, Trials / 3.0 * 1.05));
        Assert.All(counts, c => Assert.InRange(c, Trials * (double)wanted / negatives * 0.95, Trials * (double)wanted / negatives * 1.05));
        Assert.All(firstPlace, c => Assert.InRange(c, Trials / (double)negatives * 0.9, Trials / (double)negatives * 1.1));
    }

    [Fact]
    public void TooFewNegativesGiveThePoolsDistributionOfRepeats()
    {
        // 3 negatives, 7 wanted: the pool holds each 3 times (9 places); a sample of 7 leaves 2 places out, so a given
        // negative is drawn 3 times unless a left-out place is one of its copies: P(3) = C(6,2)/C(9,2) = 15/36,
        // P(2) = 3·6/36 = 18/36, P(1) = C(3,2)/36 = 3/36 (what Python's random.sample(idx * 3, 7) gives).
        const int Trials = 36000;
        var times = new long[4];
        for (int t = 0; t < Trials; t++)
        {
            var (_, negs) = FlagEmbeddingGroups.Draw(1, 3, 8, FlagEmbeddingGroups.GroupRandom(2, t, 3));
            times[negs.Count(n => n == 0)]++;
        }
        Assert.Equal(0, times[0]);
        Assert.InRange(times[1], 3000 * 0.9, 3000 * 1.1);
        Assert.InRange(times[2], 18000 * 0.97, 18000 * 1.03);
        Assert.InRange(times[3], 15000 * 0.965, 15000 * 1.035);
    }

    [Fact]
    public void ShardsOfOneDataSetAreOneSetOfGroups()
    {
        string a = Write("a.jsonl", Row(0), Row(1)), b = Write("b.jsonl", Row(2));
        var d = DatasetReader.ReadAll([a, b], "org/flag", groupSize: 3);
        Assert.Equal(3, d.Groups!.Count);
        Assert.Equal("org/flag", d.Name);
        Assert.Equal(["spørsmål 0", "spørsmål 1", "spørsmål 2"], d.ForEpoch(1, 1).Rows.Select(r => r[0]));
        string t = Write("t.jsonl", "{\"query\": \"a\", \"positive\": \"b\"}");
        Assert.Contains("the shards of one data set are alike", Assert.Throws<TrainingException>(() => DatasetReader.ReadAll([a, t], "x")).Message);
    }
}
