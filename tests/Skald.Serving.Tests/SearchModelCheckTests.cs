using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Skald.Models;
using Skald.Retrieval.Index;

namespace Skald.Serving.Tests;

/// <summary>
/// <see cref="SearchService.CheckModel(Skald.Retrieval.Index.SearchIndex, Skald.Models.SentenceEncoder)"/>, which <c>skald serve --index</c> runs at start and at every index reload,
/// checks the model as <c>skald search</c> does: from the files' recorded sizes, times and change times while they are
/// the same, hashing them only when they differ, and remembering a folder found the same so that it is hashed once; a
/// weight rewritten in place with the file's size and time kept is a changed model.
/// </summary>
public sealed class SearchModelCheckTests
{
    private static (string Model, string Index) Build()
    {
        string model = TestPaths.CopyOfFixtureModel("bert-cased-mean");
        string index = Path.Combine(TestPaths.NewTempDir(), "idx");
        var r = SkaldProcess.Run("index", "build", "--model", model, "--documents", SampleDocuments.Folder, "--output", index, "-q");
        Assert.True(r.ExitCode == 0, r.Stderr);
        return (model, index);
    }

    // One weight changed in place (a float's last byte), the file's size and time kept: its change time moves on.
    private static void ChangeAWeightUnseen(string model)
    {
        string weights = Path.Combine(model, "model.safetensors");
        var time = File.GetLastWriteTimeUtc(weights);
        using (var fs = new FileStream(weights, FileMode.Open, FileAccess.ReadWrite))
        {
            fs.Position = fs.Length - 1;
            int b = fs.ReadByte();
            fs.Position = fs.Length - 1;
            fs.WriteByte((byte)(b ^ 0x01));
        }
        File.SetLastWriteTimeUtc(weights, time);
    }

    [Fact]
    public void TheRecordedStampIsTrustedWithoutReadingTheWeights()
    {
        var (model, folder) = Build();
        var encoder = SentenceEncoder.Load(model);
        // index.json's fingerprint made one no folder has: the check passes only while it hashes no file
        string manifestFile = Path.Combine(folder, "index.json");
        var manifest = JsonNode.Parse(File.ReadAllText(manifestFile))!.AsObject();
        manifest["model_sha256"] = new string('0', 64);
        File.WriteAllText(manifestFile, manifest.ToJsonString());
        using (var index = SearchIndex.Open(folder))
            SearchService.CheckModel(index, encoder); // the names, sizes, times and change times recorded: not hashed

        string config = Path.Combine(model, "config.json");
        File.SetLastWriteTimeUtc(config, File.GetLastWriteTimeUtc(config).AddMinutes(5)); // looks changed: hashed
        using var touched = SearchIndex.Open(folder);
        var e = Assert.Throws<ArgumentException>(() => SearchService.CheckModel(touched, encoder));
        Assert.Contains("has changed since", e.Message);
    }

    [Fact]
    public void AWeightRewrittenInPlaceWithItsSizeAndTimeKeptIsRefused()
    {
        // seen by the weights' change time, which the stamp holds where it is read (Linux x86-64 and arm64)
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture is not (Architecture.X64 or Architecture.Arm64)) return;
        var (model, folder) = Build();
        var encoder = SentenceEncoder.Load(model);
        ChangeAWeightUnseen(model); // after the build, another process: stamped later than the copy's writes
        using var index = SearchIndex.Open(folder);
        var e = Assert.Throws<ArgumentException>(() => SearchService.CheckModel(index, encoder));
        Assert.Contains("has changed since", e.Message);
    }

    [Fact]
    public void ATouchedModelFoundTheSameIsRememberedInTheIndexFolder()
    {
        var (model, folder) = Build();
        var encoder = SentenceEncoder.Load(model);
        string config = Path.Combine(model, "config.json");
        File.SetLastWriteTimeUtc(config, File.GetLastWriteTimeUtc(config).AddMinutes(5)); // touched, the same bytes
        using var index = SearchIndex.Open(folder);
        SearchService.CheckModel(index, encoder);
        string remembered = Path.Combine(folder, "model-verified.json");
        Assert.True(File.Exists(remembered));
        var entry = JsonDocument.Parse(File.ReadAllText(remembered)).RootElement;
        Assert.Equal(Path.TrimEndingDirectorySeparator(Path.GetFullPath(model)), entry.GetProperty("model").GetString());
        Assert.Equal(index.Manifest.ModelSha256, entry.GetProperty("model_sha256").GetString());
    }
}
