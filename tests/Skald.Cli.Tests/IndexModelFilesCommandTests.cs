using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Skald.Cli.Tests;

/// <summary>
/// <c>skald search</c> and <c>index add</c> check an index's model by the files its encoder reads: an export, a
/// quantized copy, a cache, a card, a plain README or pickle weights added beside the model later is not a change. An index of an older kind (more
/// files counted) is checked that way until <c>index add</c> records the new kind. A touched model found the same by
/// hashing is remembered in the index folder, so the next search does not read the weights again; weights copied over
/// the old ones with <c>cp -p</c> (size and time kept) are a changed model (Linux: by their change time).
/// </summary>
public sealed class IndexModelFilesCommandTests
{
    private static (string Model, string Index) Build() => IndexedSampleModel.Build();

    private static SkaldProcess.Result Dense(string index) => IndexedSampleModel.Dense(index);

    private static SkaldProcess.Result Add(string index, string name) => IndexedSampleModel.AddText(index, name);

    // What bert-cased-mean's encoder reads: the Transformer's config, tokenizer and weights, the prompts, the pooling config.
    private static readonly string[] ReadFiles =
    [
        "1_Pooling/config.json", "config.json", "config_sentence_transformers.json", "model.safetensors", "modules.json",
        "sentence_bert_config.json", "special_tokens_map.json", "tokenizer.json", "tokenizer_config.json",
    ];

    // SHA-256 over "path\0sha256(bytes)\n" in ordinal path order, of the files the encoder reads, or of every one of
    // the model's files (cards and hidden ones aside), as the oldest kind counted them.
    private static string Fingerprint(string model, bool every)
    {
        var files = (every ? Directory.EnumerateFiles(model, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(model, f).Replace('\\', '/'))
                : ReadFiles)
            .Where(r => !r.EndsWith(".md", StringComparison.Ordinal) && !r.Split('/').Any(p => p.StartsWith('.')))
            .Order(StringComparer.Ordinal);
        var text = new StringBuilder();
        foreach (var r in files) text.Append(r).Append('\0').Append(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(model, r))))).Append('\n');
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    private static JsonObject Manifest(string index) => JsonNode.Parse(File.ReadAllText(Path.Combine(index, "index.json")))!.AsObject();

    private static void Export(string model)
    {
        Directory.CreateDirectory(Path.Combine(model, "onnx"));
        File.WriteAllText(Path.Combine(model, "onnx", "model.onnx"), "an ONNX export of the same model");
    }

    [Fact]
    public void FilesAddedBesideTheModelAreNotAChange()
    {
        var (model, index) = Build();
        var before = Dense(index);
        Assert.True(before.ExitCode == 0, before.Stderr);
        var manifest = Manifest(index);
        Assert.Equal(4, (int)manifest["model_fingerprint_version"]!);
        Assert.Equal(Fingerprint(model, every: false), (string)manifest["model_sha256"]!);

        Export(model);
        Directory.CreateDirectory(Path.Combine(model, "int8"));
        File.Copy(Path.Combine(model, "model.safetensors"), Path.Combine(model, "int8", "model.safetensors"));
        File.WriteAllText(Path.Combine(model, "README.md"), "# Described again");
        File.WriteAllText(Path.Combine(model, "README"), "Described again, plain");
        File.WriteAllText(Path.Combine(model, "pytorch_model.bin"), "pickle weights beside the safetensors, never read");
        var after = Dense(index);
        Assert.True(after.ExitCode == 0, after.Stderr);
        Assert.Equal(before.Stdout, after.Stdout);
        var added = Add(index, "fjordhest.txt");
        Assert.True(added.ExitCode == 0, added.Stderr);
    }

    [Fact]
    public void AnIndexOfTheOlderKindIsCheckedAgainstEveryFileUntilIndexAddRecordsTheNewKind()
    {
        var (model, index) = Build();
        var manifest = Manifest(index); // as an index written before the kind was recorded
        Assert.True(manifest.Remove("model_fingerprint_version"));
        Assert.True(manifest.Remove("model_files_stamp"));
        manifest["model_sha256"] = Fingerprint(model, every: true);
        File.WriteAllText(Path.Combine(index, "index.json"), manifest.ToJsonString());
        var old = Dense(index);
        Assert.True(old.ExitCode == 0, old.Stderr);
        Export(model);
        SkaldProcess.AssertUserError(Dense(index), 1, "the model has changed since"); // every file counted, as it was built
        Directory.Delete(Path.Combine(model, "onnx"), recursive: true);

        var added = Add(index, "fjordhest.txt");
        Assert.True(added.ExitCode == 0, added.Stderr);
        manifest = Manifest(index);
        Assert.Equal(4, (int)manifest["model_fingerprint_version"]!);
        Assert.Equal(Fingerprint(model, every: false), (string)manifest["model_sha256"]!);
        Assert.NotNull(manifest["model_files_stamp"]);
        Export(model);
        var now = Dense(index);
        Assert.True(now.ExitCode == 0, now.Stderr);
    }

    [Fact]
    public void AnIndexOfKindOneCountsEveryFileBesideTheWeightsUntilIndexAddRecordsTheCurrentKind()
    {
        var (model, index) = Build();
        var manifest = Manifest(index); // as an index written when the kind was 1: every file directly in the folders read
        var kindOne = Directory.EnumerateFiles(model).Concat(Directory.EnumerateFiles(Path.Combine(model, "1_Pooling")))
            .Select(f => Path.GetRelativePath(model, f).Replace('\\', '/')).Order(StringComparer.Ordinal).ToList();
        var text = new StringBuilder();
        foreach (var r in kindOne) text.Append(r).Append('\0').Append(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(model, r))))).Append('\n');
        manifest["model_fingerprint_version"] = 1;
        manifest["model_sha256"] = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
        Assert.True(manifest.Remove("model_files_stamp"));
        File.WriteAllText(Path.Combine(index, "index.json"), manifest.ToJsonString());
        var old = Dense(index);
        Assert.True(old.ExitCode == 0, old.Stderr);
        File.WriteAllText(Path.Combine(model, "README"), "The card, plain");
        SkaldProcess.AssertUserError(Dense(index), 1, "the model has changed since"); // kind 1 counted it
        File.Delete(Path.Combine(model, "README"));

        var added = Add(index, "fjordhest.txt");
        Assert.True(added.ExitCode == 0, added.Stderr);
        Assert.Equal(4, (int)Manifest(index)["model_fingerprint_version"]!);
        Assert.Equal(Fingerprint(model, every: false), (string)Manifest(index)["model_sha256"]!);
        File.WriteAllText(Path.Combine(model, "README"), "The card, plain");
        var now = Dense(index);
        Assert.True(now.ExitCode == 0, now.Stderr);
    }

    [Fact]
    public void ATouchedModelFoundTheSameIsRememberedAndNotReadAgain()
    {
        var (model, index) = Build();
        string config = Path.Combine(model, "config.json"), weights = Path.Combine(model, "model.safetensors");
        var expected = Dense(index);
        Assert.True(expected.ExitCode == 0, expected.Stderr);
        Assert.False(File.Exists(Path.Combine(index, "model-verified.json")));
        File.SetLastWriteTimeUtc(config, File.GetLastWriteTimeUtc(config).AddMinutes(5)); // touched: hashed, found the same
        var touched = Dense(index);
        Assert.True(touched.ExitCode == 0, touched.Stderr);
        Assert.Equal(expected.Stdout, touched.Stdout);
        Assert.True(File.Exists(Path.Combine(index, "model-verified.json")));

        // The remembered look is trusted, the weights not read: with the fingerprint in index.json and in the note made one
        // no folder has, the search passes (hashing would refuse) ...
        string note = Path.Combine(index, "model-verified.json"), noted = File.ReadAllText(note), recorded = File.ReadAllText(Path.Combine(index, "index.json"));
        var manifest = Manifest(index);
        manifest["model_sha256"] = new string('0', 64);
        File.WriteAllText(Path.Combine(index, "index.json"), manifest.ToJsonString());
        var remembered = JsonNode.Parse(noted)!.AsObject();
        remembered["model_sha256"] = new string('0', 64);
        File.WriteAllText(note, remembered.ToJsonString());
        var trusted = Dense(index);
        Assert.True(trusted.ExitCode == 0, trusted.Stderr);
        File.WriteAllText(Path.Combine(index, "index.json"), recorded);
        File.WriteAllText(note, noted);

        // ... while the folder looks as it was hashed. Weights trained again, copied over the old file with cp -p (its size
        // and time kept, a later change time, Linux x86-64 and arm64): hashed, the change found.
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture is not (Architecture.X64 or Architecture.Arm64)) return;
        CopyRetrainedOver(weights);
        SkaldProcess.AssertUserError(Dense(index), 1, "the model has changed since");
    }

    [Fact]
    public void WeightsCopiedOverTheRecordedOnesWithCpPAreAChangedModel()
    {
        // the stamp index.json recorded no longer holds: the weights' change time moved on (Linux x86-64 and arm64)
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture is not (Architecture.X64 or Architecture.Arm64)) return;
        var (model, index) = Build();
        var before = Dense(index); // another process: the copy below is stamped later than the model's copy
        Assert.True(before.ExitCode == 0, before.Stderr);
        CopyRetrainedOver(Path.Combine(model, "model.safetensors"));
        SkaldProcess.AssertUserError(Dense(index), 1, "the model has changed since", "rebuild the index");
    }

    // The weights trained again (a float's last byte changed: still a loadable model of the same size) copied over the
    // old file with cp -p: the same file (inode), size and time, other bytes.
    private static void CopyRetrainedOver(string weights)
    {
        string retrained = Path.Combine(TestPaths.NewTempDir(), "model.safetensors");
        var bytes = File.ReadAllBytes(weights);
        bytes[^1] ^= 0x01;
        File.WriteAllBytes(retrained, bytes);
        File.SetLastWriteTimeUtc(retrained, File.GetLastWriteTimeUtc(weights));
        long inode = Inode(weights);
        using (var copy = Process.Start("cp", ["-p", retrained, weights]))
        {
            copy.WaitForExit();
            Assert.Equal(0, copy.ExitCode);
        }
        Assert.Equal(inode, Inode(weights));
        Assert.Equal((bytes.LongLength, File.GetLastWriteTimeUtc(retrained)), (new FileInfo(weights).Length, File.GetLastWriteTimeUtc(weights)));
    }

    // The file's inode, as coreutils' stat shows it.
    private static long Inode(string file)
    {
        var psi = new ProcessStartInfo("stat", ["--format=%i", file]) { RedirectStandardOutput = true };
        using var p = Process.Start(psi)!;
        string shown = p.StandardOutput.ReadToEnd().Trim();
        p.WaitForExit();
        return long.Parse(shown, CultureInfo.InvariantCulture);
    }
}
