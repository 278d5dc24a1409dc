using System.CommandLine;
using Skald.Retrieval.Index;

namespace Skald.Cli.CommandLine;

/// <summary>
/// The options that choose an index's dense layout (<c>--precision</c>, <c>--pq</c>, <c>--ivf-lists</c>,
/// <c>--ivf-probes</c>, <c>--hnsw</c> and its ef settings) for <c>index build</c> and <c>index reindex</c>, and the one
/// reading of them into a <see cref="DenseLayout"/>.
/// </summary>
internal sealed class DenseLayoutOptions
{
    private readonly PrecisionOptions precision = new("Dense search: read the embeddings (held in memory; the float32 ones stay on disk to rescore the best hits)", rescoring: false);
    private readonly IvfCommandOptions ivf = new("The index");
    private readonly HnswCommandOptions hnsw = new("The index");

    /// <summary>The options to add to a command.</summary>
    public IEnumerable<Option> All => precision.All.Concat(ivf.All).Concat(hnsw.All);

    /// <summary>The chosen layout (usage errors for combinations that cannot go together).</summary>
    public DenseLayout Of(ParseResult p)
    {
        var layout = new DenseLayout { Precision = precision.Of(p), Pq = precision.Product(p), Ivf = ivf.Of(p), Hnsw = hnsw.Of(p) };
        if (layout.Ivf is not null && layout.Hnsw is not null) throw new UsageException("--hnsw and --ivf-lists are two kinds of approximate index; choose one");
        return layout;
    }
}
