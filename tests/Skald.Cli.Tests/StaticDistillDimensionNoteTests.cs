using System.Text.Json;

namespace Skald.Cli.Tests;

/// <summary>
/// <c>skald static distill --dim N</c> above the teacher's width keeps the teacher's width (PCA reduces, never widens),
/// and says so instead of leaving the user to notice a smaller model than asked for.
/// </summary>
public sealed class StaticDistillDimensionNoteTests
{
    private static int HiddenSize(string model)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(model, "config.json")));
        return doc.RootElement.GetProperty("hidden_size").GetInt32();
    }

    [Fact]
    public void ADimAboveTheTeachersWidthIsExplained()
    {
        string teacher = TestPaths.FixtureModel("bert-cased-mean"), output = Path.Combine(TestPaths.NewTempDir(), "static");
        int width = HiddenSize(teacher), wanted = 2 * width;
        var r = InProcessSkald.Capture("static", "distill", "--model", teacher, "--dim", $"{wanted}", "--output", output);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains($"into a {width}-d static model", r.Stderr);
        Assert.Contains($"(--dim {wanted} is more than the teacher's {width} dimensions, which are kept as they are)", r.Stderr);
    }

    [Fact]
    public void ADimBelowTheTeachersWidthGetsNoNote()
    {
        string teacher = TestPaths.FixtureModel("bert-cased-mean"), output = Path.Combine(TestPaths.NewTempDir(), "static");
        int wanted = HiddenSize(teacher) / 2;
        var r = InProcessSkald.Capture("static", "distill", "--model", teacher, "--dim", $"{wanted}", "--output", output);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains($"into a {wanted}-d static model", r.Stderr);
        Assert.DoesNotContain("--dim", r.Stderr);
    }
}
