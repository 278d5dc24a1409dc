using Skald.Training.Config;
using Skald.Training.Data;
using Skald.Training.Trainer;

namespace Skald.Training.Tests.Trainer;

/// <summary>
/// A label the loss cannot take is named by the line of the file it is on: the message said "row N", the row's place
/// among the data rows that were left, which is not the line in a CSV (its header is line 1), after a blank line, or
/// once data.eval_split has held rows out.
/// </summary>
public sealed class LabelLineTests
{
    private readonly string dir = InfraPaths.NewTempDir();

    private static LossSection Loss(string type) => ConfigLoader.Parse(
        $"model: {{path: m}}\ndata: {{train: d.jsonl}}\nloss: {{type: {type}}}\noutput: {{dir: o}}\n", "c.yaml").Loss;

    [Fact]
    public void ACsvLabelIsNamedByItsLine()
    {
        string csv = InfraPaths.WriteFile(dir, "pairs.csv",
            "sentence1,sentence2,label\nHuset er rødt.,Huset er rødt.,1\nBussen går.,Ferja går.,0\nDet regner.,Det er vått.,0.3\n");
        var e = Assert.Throws<TrainingException>(() => LossColumns.Check(Loss("contrastive"), DatasetReader.Read(csv)));
        Assert.Equal($"{csv}: loss.type contrastive needs labels 0 or 1; line 4 has 0.3; the file has 2 (sentence1, sentence2 + label)", e.Message);
    }

    [Fact]
    public void AJsonlLabelKeepsItsLineAfterABlankLineAndAnEvalSplit()
    {
        var lines = Enumerable.Range(0, 10).Select(i =>
            $"{{\"sentence1\": \"Setning {i}.\", \"sentence2\": \"Ei setning {i}.\", \"label\": {(i == 7 ? "2" : (i % 2).ToString(System.Globalization.CultureInfo.InvariantCulture))}}}").ToList();
        lines.Insert(3, ""); // the row of label 2 (the 8th) is on line 9
        string jsonl = InfraPaths.WriteFile(dir, "nli.jsonl", string.Join("\n", lines) + "\n");
        var data = DatasetReader.Read(jsonl);
        var (train, _) = data.Split(3, 42);
        Assert.Contains(train.Rows, r => r[0] == "Setning 7."); // (the seed keeps it for training; held out, the check would not see it)
        var e = Assert.Throws<TrainingException>(() => LossColumns.Check(Loss("contrastive"), train));
        Assert.Contains("needs labels 0 or 1; line 9 has 2;", e.Message);
    }
}
