using Skald.Retrieval.Index;

namespace Skald.Retrieval.Tests;

/// <summary>
/// <see cref="ModelFingerprint"/>: a copy of a model folder elsewhere has the same fingerprint, a changed weight or
/// config does not, and the model card and hidden files do not count; a weights file replaced by one of the same size and
/// time is seen, and (on Linux) one rewritten in place with its old size and its time set back.
/// </summary>
public sealed class ModelFingerprintTests
{
    private static string Folder()
    {
        string dir = Path.Combine(Directory.CreateTempSubdirectory("skald-fingerprint").FullName, "model");
        Directory.CreateDirectory(Path.Combine(dir, "1_Pooling"));
        File.WriteAllBytes(Path.Combine(dir, "model.safetensors"), [.. Enumerable.Range(0, 4096).Select(i => (byte)(i * 7))]);
        File.WriteAllText(Path.Combine(dir, "config.json"), "{\"hidden_size\": 32}");
        File.WriteAllText(Path.Combine(dir, "modules.json"), """
            [{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
             {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}]
            """);
        File.WriteAllText(Path.Combine(dir, "1_Pooling", "config.json"), Pooling("mean"));
        File.WriteAllText(Path.Combine(dir, "README.md"), "# A model");
        return dir;
    }

    private static string Pooling(string mode) => $"{{\"word_embedding_dimension\": 32, \"pooling_mode_{mode}_tokens\": true}}";

    [Fact]
    public void ACopyIsTheSameModelAndAChangedFileIsNot()
    {
        string model = Folder(), copy = Folder();
        string hash = ModelFingerprint.Of(model);
        Assert.Matches("^[0-9a-f]{64}$", hash);
        Assert.Equal(hash, ModelFingerprint.Of(copy));
        var manifest = new IndexManifest { Model = model, ModelSha256 = hash };
        Assert.True(ModelFingerprint.Matches(manifest, copy));
        Assert.False(ModelFingerprint.Matches(manifest with { ModelSha256 = null }, copy)); // older indexes: the path only
        Assert.True(ModelFingerprint.Matches(manifest with { ModelSha256 = null }, model));

        File.WriteAllText(Path.Combine(copy, "README.md"), "# The same model, described again");
        File.WriteAllText(Path.Combine(copy, ".gitattributes"), "*.safetensors filter=lfs");
        Assert.Equal(hash, ModelFingerprint.Of(copy));

        File.WriteAllText(Path.Combine(copy, "1_Pooling", "config.json"), Pooling("max"));
        Assert.NotEqual(hash, ModelFingerprint.Of(copy));
        Assert.False(ModelFingerprint.Matches(manifest, copy));
        string other = Folder();
        using (var weights = File.OpenWrite(Path.Combine(other, "model.safetensors"))) weights.WriteByte(1); // one byte of the weights
        Assert.NotEqual(hash, ModelFingerprint.Of(other));
    }

    [Fact]
    public void TheStampIsTheFilesSizesAndTimesAndUnchangedTrustsIt()
    {
        string model = Folder();
        var manifest = new IndexManifest { Model = model, ModelSha256 = ModelFingerprint.Of(model), ModelFilesStamp = ModelFingerprint.Stamp(model) };
        Assert.Matches("^[0-9a-f]{64}$", manifest.ModelFilesStamp!);
        Assert.True(ModelFingerprint.Unchanged(manifest, model));
        string weights = Path.Combine(model, "model.safetensors");
        var time = File.GetLastWriteTimeUtc(weights);
        File.SetLastWriteTimeUtc(weights, time.AddSeconds(1)); // touched: another stamp, the same content
        Assert.NotEqual(manifest.ModelFilesStamp, ModelFingerprint.Stamp(model));
        Assert.True(ModelFingerprint.Unchanged(manifest, model));
        File.WriteAllBytes(weights, [.. Enumerable.Range(0, 4096).Select(i => (byte)(i * 5))]); // trained again: same size ...
        // ... later, as a training run would write it: set, not left to the clock, whose tick (a few ms) a quick test
        // run falls within, writing the recorded time again (the stamp trusted, the change unseen)
        File.SetLastWriteTimeUtc(weights, time.AddSeconds(2));
        Assert.False(ModelFingerprint.Unchanged(manifest, model));
        File.SetLastWriteTimeUtc(weights, time); // the recorded size and time: trusted without reading
        Assert.Equal(manifest.ModelFilesStamp, ModelFingerprint.Stamp(model));
        Assert.True(ModelFingerprint.Unchanged(manifest, model));
        Assert.False(ModelFingerprint.Unchanged(manifest with { ModelFilesStamp = null }, model)); // no stamp: hashed
        Assert.True(ModelFingerprint.Unchanged(manifest with { ModelSha256 = null, ModelFilesStamp = null }, model)); // nothing recorded
        File.WriteAllText(Path.Combine(model, "README.md"), "# Described again"); // the card counts no more than in the fingerprint
        Assert.Equal(manifest.ModelFilesStamp, ModelFingerprint.Stamp(model));
    }

    private static readonly DateTime Time = new(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc);

    private static readonly byte[] Retrained = [.. Enumerable.Range(0, 4096).Select(i => (byte)(i * 5))];

    [Fact]
    public void AWeightsFileReplacedByOneOfTheSameSizeAndTimeIsSeen()
    {
        // Of's cache: a weights file replaced (new bytes written beside it and renamed over it, as a download or rsync
        // replaces one) by one of the same size, its time set to the old one (as a write within one tick of the file
        // system's clock leaves it, or rsync -a sets it): hashed again, by the file's identity, not the cached hash
        if (OperatingSystem.IsWindows()) return; // (no identity there)
        SeenThoughTheStampShowsNothing(weights =>
        {
            string staged = Path.Combine(Path.GetDirectoryName(Path.GetDirectoryName(weights))!, "staged.safetensors");
            File.WriteAllBytes(staged, Retrained);
            File.SetLastWriteTimeUtc(staged, Time);
            File.Move(staged, weights, overwrite: true);
        });
    }

    [Fact]
    public void AWeightsFileRewrittenInPlaceWithItsSizeAndTimeSetBackIsSeen()
    {
        // Of's cache: the weights trained again and written over the old file (the same inode), the same size, the old
        // time set back (touch -d, rsync --inplace -t): hashed again, told by the file's change time, which the
        // kernel sets at the write and no user can set back
        if (FileIdentity.ChangeOffset < 0) return; // (Linux x86-64 and arm64 only)
        SeenThoughTheStampShowsNothing(weights =>
        {
            var was = FileIdentity.StatusOf(weights)!.Value;
            ChangeClock.PassBy(Path.GetDirectoryName(weights)!, was.Changed!.Value); // the rewrite stamped later than the look Of's cache holds
            File.WriteAllBytes(weights, Retrained);
            File.SetLastWriteTimeUtc(weights, Time);
            Assert.Equal(was.Identity, FileIdentity.StatusOf(weights)!.Value.Identity); // rewritten in place, not replaced
        });
    }

    // A model folder hashed (its weights last written at Time), its weights then made Retrained's by change, their size
    // and time the old ones: Of hashes them again, the fingerprint a folder of those files never hashed before has.
    private static void SeenThoughTheStampShowsNothing(Action<string> change)
    {
        string model = Folder();
        string weights = Path.Combine(model, "model.safetensors");
        File.SetLastWriteTimeUtc(weights, Time);
        string before = ModelFingerprint.Of(model);
        Assert.Equal(before, ModelFingerprint.Of(model));
        change(weights);
        Assert.Equal((4096L, Time), (new FileInfo(weights).Length, File.GetLastWriteTimeUtc(weights))); // the stamp shows nothing

        string after = ModelFingerprint.Of(model);
        Assert.NotEqual(before, after);
        string fresh = Folder();
        File.WriteAllBytes(Path.Combine(fresh, "model.safetensors"), Retrained);
        Assert.Equal(ModelFingerprint.Of(fresh), after);
    }
}
