using System.Security.Cryptography;
using System.Text;

namespace Skald.Cli.Tests.Hub;

/// <summary>
/// One repository of <see cref="MockHub"/> (a model, or a dataset with <see cref="Dataset"/>): files at one commit, the
/// branch "main" pointing to it, LFS files (*.safetensors, *.bin, *.parquet) named by sha256 and served from the hub's CDN
/// route, small files by their git blob id.
/// </summary>
internal sealed class MockRepo
{
    public MockRepo(string id, IReadOnlyDictionary<string, byte[]> files, bool isPrivate = false, bool dataset = false, string? commit = null)
    {
        Id = id;
        Files = files;
        Private = isPrivate;
        Dataset = dataset;
        Commit = commit ?? Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes((dataset ? "dataset commit of " : "commit of ") + id)));
    }

    public string Id { get; }

    /// <summary>A dataset repository (routes /api/datasets/… and /datasets/{id}/resolve/…).</summary>
    public bool Dataset { get; }

    /// <summary>How the hub's routes name it: the id, or datasets/{id} for a dataset.</summary>
    public string Key => Dataset ? "datasets/" + Id : Id;

    public string Commit { get; }

    public IReadOnlyDictionary<string, byte[]> Files { get; }

    /// <summary>True when requests need the token <see cref="MockHub.Token"/>.</summary>
    public bool Private { get; }

    /// <summary>The repository of a model folder on disk (every file, nested folders as '/' names) plus <paramref name="extra"/>.</summary>
    public static MockRepo FromFolder(string id, string folder, IReadOnlyDictionary<string, byte[]>? extra = null, bool isPrivate = false)
    {
        var files = Directory.GetFiles(folder, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(folder, f).Replace('\\', '/'), File.ReadAllBytes);
        foreach (var (k, v) in extra ?? new Dictionary<string, byte[]>()) files[k] = v;
        return new MockRepo(id, files, isPrivate);
    }

    public static bool IsLfs(string name) => name.EndsWith(".safetensors", StringComparison.Ordinal) || name.EndsWith(".bin", StringComparison.Ordinal)
        || name.EndsWith(".parquet", StringComparison.Ordinal);

    /// <summary>The ETag huggingface_hub names the blob by: sha256 for LFS files, git's blob id otherwise.</summary>
    public static string Etag(string name, byte[] content) => IsLfs(name)
        ? Convert.ToHexStringLower(SHA256.HashData(content))
        : Convert.ToHexStringLower(SHA1.HashData([.. Encoding.ASCII.GetBytes($"blob {content.Length}\0"), .. content]));
}
