using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Skald.Cli.Tests;

/// <summary>
/// An index's model trained again in place (its weights changed since the index was built) is refused by
/// <c>skald search</c> and <c>index add</c> with one line telling to rebuild the index, instead of searching document
/// vectors with queries they no longer match. The check is cheap: the files' sizes, times and (Linux) change times are
/// compared with those recorded, and the weights are hashed only when they differ.
/// </summary>
public sealed class IndexModelChangeCommandTests
{
    private static (string Model, string Index) Build() => IndexedSampleModel.Build();

    private static SkaldProcess.Result Dense(string index) => IndexedSampleModel.Dense(index);

    // One weight changed (a float's last byte, near the end of the file: still a loadable model of the same size).
    private static string ChangeAWeight(string model)
    {
        string weights = Path.Combine(model, "model.safetensors");
        using var fs = new FileStream(weights, FileMode.Open, FileAccess.ReadWrite);
        fs.Position = fs.Length - 1;
        int b = fs.ReadByte();
        fs.Position = fs.Length - 1;
        fs.WriteByte((byte)(b ^ 0x01));
        return weights;
    }

    [Fact]
    public void AModelTrainedAgainInPlaceIsRefusedUntilTheIndexIsRebuilt()
    {
        var (model, index) = Build();
        var before = Dense(index);
        Assert.True(before.ExitCode == 0, before.Stderr);
        var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(index, "index.json"))).RootElement;
        Assert.Equal(64, manifest.GetProperty("model_files_stamp").GetString()!.Length);

        var weights = ChangeAWeight(model);
        File.SetLastWriteTimeUtc(weights, File.GetLastWriteTimeUtc(weights).AddSeconds(5)); // as a training run writing it later would
        SkaldProcess.AssertUserError(Dense(index), 1, "the model has changed since", "rebuild the index", "--mode bm25");
        Assert.Equal(0, InProcessSkald.Capture("search", "--index", index, "--query", "sykkel", "--mode", "bm25").ExitCode); // BM25 needs no model
        string extra = Path.Combine(TestPaths.NewTempDir(), "fjordhest.txt");
        File.WriteAllText(extra, "Fjordhesten Blakken står i stallen bak kontoret.");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("index", "add", "--index", index, "--documents", extra), 1, "the model has changed since");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("search", "--index", index, "--model", model, "--query", "sykkel", "--mode", "dense"), 1, "files differ");

        var rebuilt = IndexedSampleModel.Rebuild(model, index);
        Assert.True(rebuilt.ExitCode == 0, rebuilt.Stderr);
        Assert.Equal(0, Dense(index).ExitCode);
    }

    [Fact]
    public void TheWeightsAreHashedOnlyWhenTheFilesLookChanged()
    {
        var (model, index) = Build();
        var expected = Dense(index);
        Assert.True(expected.ExitCode == 0, expected.Stderr);
        string config = Path.Combine(model, "config.json"), weights = Path.Combine(model, "model.safetensors");
        string manifestFile = Path.Combine(index, "index.json"), recorded = File.ReadAllText(manifestFile);

        // The recorded stamp is trusted and the files are not read (a search reads its model's files once more only when
        // something looks changed): with index.json's fingerprint made one no folder has, the search still passes.
        var manifest = JsonNode.Parse(recorded)!.AsObject();
        manifest["model_sha256"] = new string('0', 64);
        File.WriteAllText(manifestFile, manifest.ToJsonString());
        var trusted = Dense(index);
        Assert.True(trusted.ExitCode == 0, trusted.Stderr);
        File.WriteAllText(manifestFile, recorded);

        // Touched, the same bytes (a copy, a checkout): hashed, found the same, searched as before.
        var weightsTime = File.GetLastWriteTimeUtc(weights);
        File.SetLastWriteTimeUtc(config, File.GetLastWriteTimeUtc(config).AddMinutes(5));
        var touched = Dense(index);
        Assert.True(touched.ExitCode == 0, touched.Stderr);
        Assert.Equal(expected.Stdout, touched.Stdout);

        // A weight changed in place with the file's size and time kept: on Linux (x86-64, arm64) its change time shows it,
        // so it is hashed and refused ...
        ChangeAWeight(model);
        File.SetLastWriteTimeUtc(weights, weightsTime);
        if (OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture is (Architecture.X64 or Architecture.Arm64))
            SkaldProcess.AssertUserError(Dense(index), 1, "the model has changed since");
        // ... and an index written before stamps were recorded hashes the files every time, so it sees the change anywhere.
        manifest = JsonNode.Parse(recorded)!.AsObject();
        Assert.True(manifest.Remove("model_files_stamp"));
        File.WriteAllText(manifestFile, manifest.ToJsonString());
        SkaldProcess.AssertUserError(Dense(index), 1, "the model has changed since");
    }
}
