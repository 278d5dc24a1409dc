using Skald.Cli.Quickstart;

namespace Skald.Cli.Tests.Quickstart;

/// <summary>
/// The quickstart's files are found by what they hold, not by a folder's name: a working directory with a
/// <c>samples/</c> (or <c>configs/quickstart/</c>) of its own, which a .NET project often has, stopped the installed
/// tool's quickstart at "samples/data/corpus.txt: bundled sample data not found" instead of reading the copy beside skald.
/// </summary>
public sealed class QuickstartFilesTests
{
    private readonly string dir = TestPaths.NewTempDir();

    private string Folder(params string[] parts) => Directory.CreateDirectory(Path.Combine([dir, .. parts])).FullName;

    [Fact]
    public void AFolderOfTheSameNameWithoutTheQuickstartsFileIsPassedOver()
    {
        string work = Folder("work"), tool = Folder("tool");
        File.WriteAllText(Path.Combine(Folder("work", "samples"), "photo-notes.txt"), "a project's own samples");
        File.WriteAllText(Path.Combine(Folder("work", "configs", "quickstart"), "other.yaml"), "x: 1");
        File.WriteAllText(Path.Combine(Folder("tool", "samples"), QuickstartFiles.SamplesMarker), "{}");
        File.WriteAllText(Path.Combine(Folder("tool", "configs", "quickstart"), QuickstartFiles.ConfigsMarker), "x: 1");

        Assert.Equal(Path.Combine(tool, "samples"),
            QuickstartFiles.Find(QuickstartFiles.Samples, QuickstartFiles.SamplesMarker, "the bundled sample data", "", work, tool));
        Assert.Equal(Path.Combine(tool, QuickstartFiles.Configs),
            QuickstartFiles.Find(QuickstartFiles.Configs, QuickstartFiles.ConfigsMarker, "the quickstart's stage configs", "", work, tool));

        File.WriteAllText(Path.Combine(work, "samples", QuickstartFiles.SamplesMarker), "{}"); // a clone's: read where it is
        Assert.Equal(Path.Combine(work, "samples"),
            QuickstartFiles.Find(QuickstartFiles.Samples, QuickstartFiles.SamplesMarker, "the bundled sample data", "", work, tool));
    }

    /// <summary>
    /// The same through skald (a process in that folder): the build beside the tests has no copy, so the line names
    /// both places it looked rather than a file missing from the project's own samples/.
    /// </summary>
    [Fact]
    public void AProjectsOwnSamplesFolderIsNotTakenForTheQuickstarts()
    {
        File.WriteAllText(Path.Combine(Folder("samples"), "photo-notes.txt"), "a project's own samples");
        string output = Path.Combine(dir, "out");
        var r = SkaldProcess.RunIn(dir, "quickstart", "--output", output);
        SkaldProcess.AssertUserError(r, 1, "samples: the bundled sample data not found, neither in the working directory "
            + $"({Path.Combine(dir, "samples")}) nor beside skald");
        Assert.False(Directory.Exists(output));
    }
}
