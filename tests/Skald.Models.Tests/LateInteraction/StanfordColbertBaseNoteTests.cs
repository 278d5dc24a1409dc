using Skald.Models.LateInteraction;

namespace Skald.Models.Tests.LateInteraction;

/// <summary>
/// A Stanford ColBERT checkpoint records the base its training started from (artifact.metadata's <c>checkpoint</c>):
/// when that base is found here and is another kind of encoder (config.json's model_type or hidden_size differ from the
/// checkpoint's), loading it for inference or training says so in one <c>note:</c> line, as the other-base note of a
/// peft adapter does; the same base, one found nowhere, or none recorded, say nothing.
/// </summary>
public sealed class StanfordColbertBaseNoteTests
{
    private static string Folder => TestPaths.FixtureModel("colbert-stanford-tiny");

    // A copy of the fixture whose artifact.metadata names the base folder written with config.json text `config`.
    private static (string Checkpoint, string Base) WithBase(string? config)
    {
        string root = TestPaths.NewTempDir();
        string copy = TestPaths.CopyFolder(Folder, Path.Combine(root, "stanford"));
        string baseDir = Path.Combine(root, "base");
        Directory.CreateDirectory(baseDir);
        if (config is not null) File.WriteAllText(Path.Combine(baseDir, "config.json"), config);
        string file = Path.Combine(copy, StanfordColbert.MetadataFile);
        string text = File.ReadAllText(file);
        Assert.Contains("\"checkpoint\": \"bert-base-uncased\"", text);
        File.WriteAllText(file, text.Replace("\"checkpoint\": \"bert-base-uncased\"", $"\"checkpoint\": \"{baseDir}\"", StringComparison.Ordinal));
        return (copy, baseDir);
    }

    private static List<string> Notes(Action load)
    {
        var notes = new List<string>();
        using (ModelNotices.Route(notes.Add)) load();
        return notes;
    }

    [Fact]
    public void ABaseOfAnotherKindIsOneNoteOnEveryLoad()
    {
        var (checkpoint, baseDir) = WithBase("{\"model_type\": \"xlm-roberta\", \"hidden_size\": 768}");
        string expected = $"note: {checkpoint}: its artifact.metadata names the base \"{baseDir}\", whose config.json has model_type xlm-roberta, " +
            "the checkpoint's bert and hidden_size 768, the checkpoint's 32; the checkpoint's own weights are loaded all the same, as PyLate loads them";
        Assert.Equal([expected], Notes(() => ColbertEncoder.Load(checkpoint).Dispose()));
        Assert.Equal([expected], Notes(() => SentenceEncoder.LoadLateInteraction(checkpoint).Dispose()));
    }

    [Fact]
    public void TheSameKindOfBaseOrNoneFoundSaysNothing()
    {
        var (same, _) = WithBase("{\"model_type\": \"bert\", \"hidden_size\": 32, \"vocab_size\": 30522}");
        Assert.Empty(Notes(() => ColbertEncoder.Load(same).Dispose()));
        var (bare, _) = WithBase(null); // a base folder without config.json: nothing to compare
        Assert.Empty(Notes(() => ColbertEncoder.Load(bare).Dispose()));
        Assert.Empty(Notes(() => ColbertEncoder.Load(Folder).Dispose())); // "bert-base-uncased": not in this machine's cache
    }
}
