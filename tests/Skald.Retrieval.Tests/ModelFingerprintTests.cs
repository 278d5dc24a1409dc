using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Skald.Retrieval.Index;

namespace Skald.Retrieval.Tests;

/// <summary>
/// <see cref="ModelFingerprint"/>: a copy of a model folder elsewhere has the same fingerprint, a changed weight or
/// config does not, and the model card and hidden files do not count; a weights file replaced by one of the same size and
/// time is seen, and (on Linux) one rewritten in place with its old size and its time set back, by the hash's cache and
/// by the stamp an index records (its change times), which a copy of the folder or an older index only makes hashed once.
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

    // The files the fingerprint and the stamp cover in Folder(), in ordinal order (README.md aside).
    private static readonly string[] Covered = ["1_Pooling/config.json", "config.json", "model.safetensors", "modules.json"];

    private static bool ChangeTimeKnown => FileIdentity.ChangeOffset >= 0;

    // A stamp as coreutils' stat shows the covered files: SHA-256 over each one's path, size, modification time in .NET
    // ticks (100 ns since year 1) and, withChange, change time in nanoseconds since 1970, "\0" between, "\n" after.
    private static string StampByStat(string model, bool withChange)
    {
        var shown = CoreutilsStat.Show("%s %.9Y %.9Z", [.. Covered.Select(f => Path.Combine(model, f))]);
        var text = new StringBuilder();
        for (int i = 0; i < Covered.Length; i++)
        {
            long ticks = DateTime.UnixEpoch.Ticks + CoreutilsStat.Nanoseconds(shown[i][1]) / 100;
            text.Append(CultureInfo.InvariantCulture, $"{Covered[i]}\0{shown[i][0]}\0{ticks}");
            if (withChange) text.Append(CultureInfo.InvariantCulture, $"\0{CoreutilsStat.Nanoseconds(shown[i][2])}");
            text.Append('\n');
        }
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    [Fact]
    public void TheStampIsTheFilesSizesTimesAndChangeTimesAndUnchangedTrustsIt()
    {
        string model = Folder();
        string weights = Path.Combine(model, "model.safetensors");
        var manifest = ModelFingerprint.Record(new IndexManifest { Model = model }, model);
        Assert.Matches("^[0-9a-f]{64}$", manifest.ModelFilesStamp!);
        Assert.Equal(StampByStat(model, withChange: ChangeTimeKnown), manifest.ModelFilesStamp); // (no change time read elsewhere)
        Assert.True(ModelFingerprint.Unchanged(manifest, model));
        var none = manifest with { ModelSha256 = new string('0', 64) }; // a fingerprint no folder has: passes only while nothing is hashed
        Assert.True(ModelFingerprint.Unchanged(none, model));

        var time = File.GetLastWriteTimeUtc(weights);
        long recorded = ChangeTimeKnown ? FileIdentity.StatusOf(weights)!.Value.Changed!.Value : 0;
        File.SetLastWriteTimeUtc(weights, time.AddSeconds(1)); // touched: another stamp, the same content
        Assert.NotEqual(manifest.ModelFilesStamp, ModelFingerprint.Stamp(model));
        Assert.True(ModelFingerprint.Unchanged(manifest, model));
        Assert.False(ModelFingerprint.Unchanged(none, model)); // hashed
        if (ChangeTimeKnown) ChangeClock.PassBy(model, recorded); // the rewrite stamped later than the recorded look
        File.WriteAllBytes(weights, Retrained); // trained again: same size ...
        File.SetLastWriteTimeUtc(weights, time.AddSeconds(2)); // ... later, as a training run would write it
        Assert.False(ModelFingerprint.Unchanged(manifest, model));
        File.SetLastWriteTimeUtc(weights, time); // the recorded size and time again ...
        if (ChangeTimeKnown)
        {
            Assert.NotEqual(manifest.ModelFilesStamp, ModelFingerprint.Stamp(model)); // ... not the recorded change time:
            Assert.False(ModelFingerprint.Unchanged(manifest, model)); // hashed, the change seen
        }
        else
        {
            Assert.Equal(manifest.ModelFilesStamp, ModelFingerprint.Stamp(model)); // ... trusted without reading (no change time there)
            Assert.True(ModelFingerprint.Unchanged(manifest, model));
        }
        Assert.False(ModelFingerprint.Unchanged(manifest with { ModelFilesStamp = null }, model)); // no stamp: hashed
        Assert.True(ModelFingerprint.Unchanged(manifest with { ModelSha256 = null, ModelFilesStamp = null }, model)); // nothing recorded
        string now = ModelFingerprint.Stamp(model);
        File.WriteAllText(Path.Combine(model, "README.md"), "# Described again"); // the card counts no more than in the fingerprint
        Assert.Equal(now, ModelFingerprint.Stamp(model));
    }

    [Fact]
    public void AWeightsFileRewrittenInPlaceWithItsSizeAndTimeKeptIsAChangedModel()
    {
        // the weights trained again and written over the old file (cp -p, rsync --inplace -t), its size and time the old
        // ones: the stamp index.json recorded, and one model-verified.json remembers, no longer holds (the change time
        // moved on), so the files are hashed and the change found
        if (!ChangeTimeKnown) return; // (Linux x86-64 and arm64 only)
        string model = Folder(), index = Directory.CreateTempSubdirectory("skald-fingerprint-index").FullName;
        string weights = Path.Combine(model, "model.safetensors");
        File.SetLastWriteTimeUtc(weights, Time);
        var manifest = ModelFingerprint.Record(new IndexManifest { Model = model }, model);
        Assert.True(ModelFingerprint.Unchanged(manifest, model, index));
        RewriteInPlace(weights);
        Assert.False(ModelFingerprint.Unchanged(manifest, model, index));

        string other = Folder(), otherWeights = Path.Combine(other, "model.safetensors"), config = Path.Combine(other, "config.json");
        File.SetLastWriteTimeUtc(otherWeights, Time);
        var recorded = ModelFingerprint.Record(new IndexManifest { Model = other }, other);
        File.SetLastWriteTimeUtc(config, File.GetLastWriteTimeUtc(config).AddMinutes(5)); // touched: hashed, remembered
        Assert.True(ModelFingerprint.Unchanged(recorded, other, index));
        Assert.True(VerifiedModelStamp.Holds(index, recorded, other, ModelFingerprint.Stamp(other)));
        RewriteInPlace(otherWeights);
        Assert.False(VerifiedModelStamp.Holds(index, recorded, other, ModelFingerprint.Stamp(other)));
        Assert.False(ModelFingerprint.Unchanged(recorded, other, index));
    }

    [Theory]
    [InlineData(false)] // an index whose stamp holds no change times: written before stamps did, or on macOS or Windows
    [InlineData(true)] // an index and its model copied to another machine (at the same path): the same sizes and times, new change times
    public void AStampWithoutTheFoldersChangeTimesIsHashedOnceThenTrusted(bool copied)
    {
        if (!ChangeTimeKnown) return;
        string model = Folder(), index = Directory.CreateTempSubdirectory("skald-fingerprint-index").FullName;
        string weights = Path.Combine(model, "model.safetensors"), remembered = Path.Combine(index, VerifiedModelStamp.FileName);
        var manifest = ModelFingerprint.Record(new IndexManifest { Model = model }, model);
        if (copied)
        {
            ChangeClock.PassBy(model, FileIdentity.StatusOf(weights)!.Value.Changed!.Value); // the copies stamped later than the recorded look
            foreach (string f in Covered.Select(c => Path.Combine(model, c)))
            {
                string copy = f + ".copy";
                File.Copy(f, copy);
                File.SetLastWriteTimeUtc(copy, File.GetLastWriteTimeUtc(f));
                File.Move(copy, f, overwrite: true);
            }
        }
        else
        {
            manifest = manifest with { ModelFilesStamp = StampByStat(model, withChange: false) };
        }
        Assert.NotEqual(manifest.ModelFilesStamp, ModelFingerprint.Stamp(model));
        Assert.False(File.Exists(remembered));
        Assert.True(ModelFingerprint.Unchanged(manifest, model, index)); // hashed once, found the same: no refusal
        Assert.True(File.Exists(remembered));
        Assert.True(VerifiedModelStamp.Holds(index, manifest, model, ModelFingerprint.Stamp(model))); // then trusted without reading
        Assert.True(ModelFingerprint.Unchanged(manifest, model, index));

        // an index folder that cannot be written (a read-only image; a folder where the note would go, as tests run as
        // root, whom no file mode stops): not remembered, no error, and a changed model is still refused there
        string readOnly = Directory.CreateTempSubdirectory("skald-fingerprint-index").FullName;
        Directory.CreateDirectory(Path.Combine(readOnly, VerifiedModelStamp.FileName));
        Assert.True(ModelFingerprint.Unchanged(manifest, model, readOnly));
        Assert.True(ModelFingerprint.Unchanged(manifest, model, readOnly));
        Assert.Empty(Directory.EnumerateFiles(readOnly)); // no temporary left behind
        RewriteInPlace(weights);
        Assert.False(ModelFingerprint.Unchanged(manifest, model, readOnly));
        Assert.False(ModelFingerprint.Unchanged(manifest, model, index));
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
        SeenThoughTheStampShowsNothing(RewriteInPlace);
    }

    // The weights made Retrained's over the old file (the same inode), their time set to Time, their change time later
    // than the one they had (which a look before this holds).
    private static void RewriteInPlace(string weights)
    {
        var was = FileIdentity.StatusOf(weights)!.Value;
        ChangeClock.PassBy(Path.GetDirectoryName(weights)!, was.Changed!.Value);
        File.WriteAllBytes(weights, Retrained);
        File.SetLastWriteTimeUtc(weights, Time);
        Assert.Equal(was.Identity, FileIdentity.StatusOf(weights)!.Value.Identity); // rewritten in place, not replaced
        Assert.Equal((4096L, Time), (new FileInfo(weights).Length, File.GetLastWriteTimeUtc(weights))); // the size and time show nothing
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
