using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Skald.Models;
using Skald.Models.Modules;

namespace Skald.Retrieval.Index;

/// <summary>
/// What identifies a model folder's content wherever it lies: SHA-256 over the files that make its embeddings (each
/// one's path relative to the folder and the SHA-256 of its bytes, in ordinal path order): in the folders the encoder
/// reads (<see cref="ModelFolder.ReadFolders"/>: the folder itself and its module chain's), their configuration and
/// tokenizer files (every <c>*.json</c> directly in them: config.json, tokenizer.json, modules.json, the prompts, a
/// module's config, the shard index) and the weights the loader opens (<c>model.safetensors</c>, else the shards that
/// <c>model.safetensors.index.json</c> names, else <c>pytorch_model.bin</c> or its shards), symbolic links followed as
/// a hub snapshot's are. Nothing else counts: not a model card or README, a licence, a <c>pytorch_model.bin</c> beside
/// safetensors weights (not read then) or another copy of the weights beside the ones loaded, a vocab.txt the fast tokenizer does not read, hidden files, or a
/// subfolder nothing reads (<c>onnx/</c>, a quantized copy, <c>.cache/</c>). For an adapter folder given as the model
/// they include its base's and the earlier adapters' (<see cref="SentenceEncoder.Sources"/>), so a base changed in
/// place is a changed model. An index records its
/// model's (<see cref="IndexManifest.ModelSha256"/>), so a copy of that folder elsewhere (another machine, a container
/// image) searches and serves the index, and another model does not.
/// </summary>
public static class ModelFingerprint
{
    /// <summary>
    /// The kind of fingerprint this code records (<see cref="IndexManifest.ModelFingerprintVersion"/>): 4, kind 3's files
    /// and BGE-M3's two heads at the folder's top (<c>sparse_linear.pt</c>, <c>colbert_linear.pt</c>, which a BGE-M3
    /// index's lexical and ColBERT rows come from); 3, the files the encoder reads wherever they lie: for an adapter folder given as the model also its base's and the earlier adapters'
    /// (<see cref="SentenceEncoder.Sources"/>), and an adapter's weights; 2, the files the encoder reads in the folder's
    /// own module chain (configs, tokenizer files, the weights it loads; an adapter folder's files only, so a changed
    /// base went unnoticed); 1, every file directly in the folders it reads
    /// (Markdown and hidden files aside); 0, recorded by indexes written before the kind was, every file of the folder
    /// and its subfolders (the same aside). An index is checked against the kind it recorded until <see cref="Record"/>
    /// records the current one.
    /// </summary>
    public const int CurrentVersion = 4;

    private static readonly ConcurrentDictionary<(string Root, int Version), (string Listing, string Hash)> Cache = new();

    private static readonly string[] BgeM3Heads = ["sparse_linear.pt", "colbert_linear.pt"];

    /// <summary>
    /// The fingerprint of the folder's files of kind <paramref name="version"/>, as lower-case hex (computed again only
    /// when a file's identity, change time, size or time changed since this process last did, <see cref="FileState"/>:
    /// a file replaced by one of the same size and time is seen, and on Linux one rewritten in place with its old size
    /// and its time set back, by its change time; elsewhere that one is not).
    /// </summary>
    public static string Of(string folder, int version = CurrentVersion)
    {
        string root = Path.GetFullPath(folder);
        var files = Files(root, version);
        string key = States(files);
        if (Cache.TryGetValue((root, version), out var cached) && cached.Listing == key) return cached.Hash;
        using var all = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (relative, full) in files)
        {
            byte[] content;
            using (var stream = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan))
                content = SHA256.HashData(stream);
            all.AppendData(Encoding.UTF8.GetBytes(relative + "\0" + Convert.ToHexStringLower(content) + "\n"));
        }
        string hash = Convert.ToHexStringLower(all.GetHashAndReset());
        Cache[(root, version)] = (key, hash);
        return hash;
    }

    /// <summary>
    /// What the folder's files (of kind <paramref name="version"/>) look like without reading them: SHA-256 over each
    /// one's path, size, modification time and, where <see cref="FileState"/> has one (Linux x86-64 and arm64), change
    /// time (lower-case hex), recorded beside the fingerprint (<see cref="IndexManifest.ModelFilesStamp"/>) so that
    /// <see cref="Unchanged"/> hashes the files only when it differs. The change time, which the kernel sets at every
    /// write and no user can set back, makes a file rewritten in place with its old size and its time set back
    /// (<c>cp -p</c> over it, a write then <c>touch -r</c>) look changed; it also makes a copy of the folder (another
    /// machine, a container image) and a stamp recorded without change times (an older index, one made on macOS or
    /// Windows) look changed, so those are hashed once and remembered (<see cref="VerifiedModelStamp"/>).
    /// </summary>
    public static string Stamp(string folder, int version = CurrentVersion) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Listing(Files(Path.GetFullPath(folder), version)))));

    /// <summary>
    /// <paramref name="manifest"/> recording the model in <paramref name="folder"/>: its fingerprint and stamp, of the
    /// current kind; unchanged when the folder does not exist (a model that is no folder records none).
    /// </summary>
    public static IndexManifest Record(IndexManifest manifest, string folder)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        if (!Directory.Exists(folder)) return manifest;
        string stamp = Stamp(folder); // before the hash: a file changed between the two looks changed at the next check
        return manifest with { ModelSha256 = Of(folder), ModelFilesStamp = stamp, ModelFingerprintVersion = CurrentVersion };
    }

    /// <summary>
    /// Whether the model in <paramref name="folder"/> still has the files <paramref name="manifest"/>'s index was built
    /// with: its <see cref="Stamp"/> is the one recorded (no file read), or one the index in <paramref name="index"/>
    /// remembers having verified for this folder (<see cref="VerifiedModelStamp"/>), or else its fingerprint is (a file
    /// touched or copied, its bytes the same; the stamp is then remembered there, so the next check reads no file
    /// either). True for an index that recorded no fingerprint (nothing to compare with). A stamp that does not show this
    /// folder's change times (recorded before stamps held them, or on another system, or of a copy of the folder) only
    /// costs one hash. A file rewritten with its old size and modification time (<c>cp -p</c>, a write then
    /// <c>touch -r</c>) is seen by its change time on Linux x86-64 and arm64, and passes unnoticed elsewhere (no change
    /// time read there).
    /// </summary>
    public static bool Unchanged(IndexManifest manifest, string folder, string? index = null)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        if (manifest.ModelSha256 is null) return true;
        string stamp = Stamp(folder, manifest.ModelFingerprintVersion);
        return string.Equals(stamp, manifest.ModelFilesStamp, StringComparison.Ordinal) || Verify(manifest, folder, stamp, index);
    }

    /// <summary>
    /// Whether <paramref name="folder"/> holds the model <paramref name="manifest"/>'s index was built with: that folder,
    /// or one whose files have the fingerprint the index recorded (indexes written before it was recorded: the folder
    /// only). Another folder is hashed unless the index in <paramref name="index"/> remembers having verified it with
    /// the stamp it shows now (and then remembers it).
    /// </summary>
    public static bool Matches(IndexManifest manifest, string folder, string? index = null)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        string served = Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder));
        string built = Path.TrimEndingDirectorySeparator(Path.GetFullPath(manifest.Model));
        if (string.Equals(served, built, StringComparison.Ordinal)) return true;
        return manifest.ModelSha256 is not null && Directory.Exists(served)
            && Verify(manifest, served, Stamp(served, manifest.ModelFingerprintVersion), index);
    }

    // The folder showing stamp has the recorded fingerprint: remembered so by the index, or hashed (then remembered).
    private static bool Verify(IndexManifest manifest, string folder, string stamp, string? index)
    {
        if (index is not null && VerifiedModelStamp.Holds(index, manifest, folder, stamp)) return true;
        bool same = string.Equals(Of(folder, manifest.ModelFingerprintVersion), manifest.ModelSha256, StringComparison.Ordinal);
        if (same && index is not null) VerifiedModelStamp.Remember(index, manifest, folder, stamp);
        return same;
    }

    // The files a fingerprint of kind version covers, by path relative to the folder, in ordinal order: kind 3 those
    // loading the model reads, its base chain's included (Chain); kind 2 the configs and weights the encoder reads in its
    // folders, kind 1 every file directly in them (a folder it cannot read as a model: all, as kind 0), kind 0 all.
    private static (string Relative, string Full)[] Files(string root, int version)
    {
        if (version is < 0 or > CurrentVersion)
            throw new EvaluationException($"{IndexWriter.ManifestFile}: model_fingerprint_version {version} is not one this Skald knows (0 to {CurrentVersion}); update Skald");
        var listed = version >= 3 ? Chain(root) : null;
        if (listed is null)
        {
            IReadOnlyList<string>? folders = null;
            if (version >= 1)
            {
                try { folders = ModelFolder.Read(root).ReadFolders(); }
                catch (ModelFormatException) { } // not loadable as a model: every file counts
            }
            var files = folders is null
                ? Directory.EnumerateFiles(root, "*", new EnumerationOptions { RecurseSubdirectories = true })
                : folders.Where(Directory.Exists).SelectMany(f => version >= 2 ? ReadBy(f, adapterWeights: false) : Directory.EnumerateFiles(f, "*", new EnumerationOptions()));
            listed = [.. files.Select(f => (Relative: Relative(root, f), Full: f))];
        }
        if (version >= 4) // BGE-M3's heads beside the transformer (Skald.Models.BgeM3): what its lexical and ColBERT outputs come from
            listed.AddRange(BgeM3Heads.Select(h => Path.Combine(root, h)).Where(File.Exists).Select(f => (Relative: Relative(root, f), Full: f)));
        return [.. listed
            .Where(f => !f.Full.EndsWith(".md", StringComparison.OrdinalIgnoreCase)) // the model card: no embedding depends on it
            .DistinctBy(f => f.Relative, StringComparer.Ordinal)
            .OrderBy(f => f.Relative, StringComparer.Ordinal)];
    }

    // Kind 3: what loading the model in root reads (SentenceEncoder.Sources): the folders of its module chain, the
    // folder of its transformer weights, the adapters merged into them. A file in root is named by its path in root; one
    // of a base or earlier adapter elsewhere by its place in the chain and its path there ("~base/config.json",
    // "~weights/model.safetensors", "~adapter1/adapter_model.safetensors"), so that a copy of an adapter folder over the
    // same base is the same model wherever the two lie. Null when root does not load as a model (kind 2's rule then).
    // A base or earlier adapter given as a hub id is the snapshot the hub cache holds for its revision (the one the model
    // was loaded from): a check never asks the hub, nor sees a newer revision it has; one the cache lacks is a HubException.
    private static List<(string Relative, string Full)>? Chain(string root)
    {
        ModelFolder folder;
        string weights;
        IReadOnlyList<string> adapters;
        try
        {
            (folder, weights, adapters) = SentenceEncoder.Sources(root, cachedOnly: true);
        }
        catch (ModelFormatException)
        {
            return null; // a base that cannot be found: the model does not load either, and says why then
        }
        var places = folder.ReadFolders().Select(f => (Label: "~base", Origin: folder.Path, Folder: f))
            .Append((Label: "~weights", Origin: weights, Folder: weights))
            .Concat(adapters.Select((a, i) => (Label: $"~adapter{i + 1}", Origin: a, Folder: a)));
        string top = Path.TrimEndingDirectorySeparator(root);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var files = new List<(string Relative, string Full)>();
        foreach (var (label, origin, f) in places)
        {
            string full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(f));
            if (!seen.Add(full) || !Directory.Exists(full)) continue; // a folder read twice (the base's weights) is hashed once
            bool inside = full == top || full.StartsWith(top + Path.DirectorySeparatorChar, StringComparison.Ordinal);
            string from = Path.GetFullPath(origin);
            foreach (string file in ReadBy(full, adapterWeights: true))
                files.Add((inside ? Relative(root, file) : label + "/" + Relative(from, file), file));
        }
        return files;
    }

    private static string Relative(string root, string file) => Path.GetRelativePath(root, file).Replace('\\', '/');

    // The files of one folder of the chain that loading the encoder reads: its JSON files (configs, tokenizer, prompts,
    // shard index; a Stanford ColBERT's artifact.metadata) and the weights Checkpoint.OpenFolder opens (Checkpoint.WeightsIn): model.safetensors, else the shards
    // its index names, else pytorch_model.bin, else the shards its index names (no other weights: a pytorch_model.bin
    // beside model.safetensors is not read; a folder without any, a Router's own, say, has none the encoder loads; an
    // index that cannot be read is the one line loading gives, Checkpoint.ShardsOf); with adapterWeights (kind 3) also a LoRA
    // adapter's weights.
    private static IEnumerable<string> ReadBy(string folder, bool adapterWeights)
    {
        var top = new EnumerationOptions(); // hidden files skipped
        foreach (string json in Directory.EnumerateFiles(folder, "*.json", top).Where(f => f.EndsWith(".json", StringComparison.Ordinal)))
            yield return json;
        // a Stanford ColBERT checkpoint's settings (JSON under another name): its markers and lengths make the vectors
        string stanford = Path.Combine(folder, Skald.Models.LateInteraction.StanfordColbert.MetadataFile);
        if (File.Exists(stanford)) yield return stanford;
        // kind 3: a LoRA adapter's weights, adapter_model.safetensors else adapter_model.bin, the one the merge reads
        if (adapterWeights && Skald.Models.Adapters.PeftAdapters.WeightsPath(folder) is { } adapter) yield return adapter;
        string? weights = Skald.Models.Checkpoints.Checkpoint.WeightsIn(folder);
        // torch.save weights count where a module loads them (a folder with its config.json: a Transformer's, a Dense's),
        // not as a stray file in a folder that loads none (a Router's top folder)
        bool torch = weights is not null && weights.Contains("pytorch_model", StringComparison.Ordinal);
        if (weights is null || (torch && !File.Exists(Path.Combine(folder, "config.json")))) yield break;
        if (!weights.EndsWith(".index.json", StringComparison.Ordinal))
        {
            yield return weights;
            yield break;
        }
        foreach (string shard in Skald.Models.Checkpoints.Checkpoint.ShardsOf(weights)) // as loading reads the index: one line when it is malformed
            yield return shard;
    }

    // Each file's path and state (identity, change time, size, time: FileState; a link's target's), what Of's cache is keyed by.
    private static string States((string Relative, string Full)[] files)
    {
        var states = new StringBuilder();
        foreach (var (relative, full) in files) states.Append(relative).Append('\0').Append(FileState.Of(full)).Append('\n');
        return states.ToString();
    }

    // Each file's path, size, time and change time where one is read (a link's target's, as a hub snapshot's files are
    // links into its blobs): what Stamp hashes; without a change time the line is the one stamps held before they did, so
    // an index made on macOS or Windows is still trusted there. Not the identity (device and inode): a copy of the folder
    // has others, and a file renamed over one shows another change time anyway.
    private static string Listing((string Relative, string Full)[] files)
    {
        var listing = new StringBuilder();
        foreach (var (relative, full) in files)
        {
            var target = FileState.Target(full);
            listing.Append(relative).Append('\0').Append(target.Length).Append('\0').Append(target.LastWriteTimeUtc.Ticks);
            if (FileIdentity.StatusOf(target.FullName)?.Changed is { } changed) listing.Append('\0').Append(changed);
            listing.Append('\n');
        }
        return listing.ToString();
    }
}
