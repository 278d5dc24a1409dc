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
    private readonly PrecisionOptions precision;

    /// <summary>The options; <paramref name="tokens"/>: <c>--precision</c> also takes float16, for a late-interaction index's token vectors (<c>index build</c>).</summary>
    public DenseLayoutOptions(bool tokens = false) =>
        precision = new("Dense search: read the embeddings (held in memory; the float32 ones stay on disk to rescore the best hits)", rescoring: false, tokens: tokens);

    private readonly IvfCommandOptions ivf = new("The index");
    private readonly HnswCommandOptions hnsw = new("The index", index: true);

    /// <summary>The options to add to a command.</summary>
    public IEnumerable<Option> All => precision.All.Concat(ivf.All).Concat(hnsw.All);

    /// <summary>
    /// The chosen layout (usage errors for combinations that cannot go together); <c>--precision float16</c>, which
    /// only a late-interaction index takes (<see cref="TokensOf"/>), leaves its precision float32.
    /// </summary>
    public DenseLayout Of(ParseResult p)
    {
        var layout = new DenseLayout { Precision = precision.Of(p), Pq = precision.Product(p), Ivf = ivf.Of(p), Hnsw = hnsw.Of(p) };
        if (layout.Ivf is not null && layout.Hnsw is not null) throw new UsageException("--hnsw and --ivf-lists are two kinds of approximate index; choose one");
        return layout;
    }

    /// <summary>
    /// <paramref name="layout"/> (from <see cref="Of"/>) for <c>index reindex</c> of an index whose manifest is
    /// <paramref name="stored"/>: a graph laid out again keeps the index's <c>hnsw_replace_deleted</c>,
    /// <c>hnsw_ef_construction</c> and <c>hnsw_ef</c> unless <c>--hnsw-replace-deleted</c> (true or false),
    /// <c>--hnsw-ef-construction</c> or <c>--hnsw-ef</c> is given, as <c>index add</c> keeps them.
    /// </summary>
    public DenseLayout Reindexed(ParseResult p, DenseLayout layout, IndexManifest stored)
    {
        if (layout.Hnsw is not { } graph || stored.HnswM == 0) return layout;
        if (hnsw.ReplaceDeletedGiven(p) is null && stored.HnswReplaceDeleted) graph = graph with { ReplaceDeleted = true };
        if (hnsw.EfConstructionGiven(p) is null && stored.HnswEfConstruction > 0) graph = graph with { EfConstruction = stored.HnswEfConstruction };
        if (hnsw.EfGiven(p) is null && stored.HnswEf > 0) graph = graph with { EfSearch = stored.HnswEf };
        return layout with { Hnsw = graph };
    }

    /// <summary>A late-interaction index's token precision (<see cref="PrecisionOptions.TokensOf"/>; <paramref name="model"/> names the model in a refusal).</summary>
    public Skald.Retrieval.Index.TokenPrecision TokensOf(ParseResult p, string model) => precision.TokensOf(p, model);

    /// <summary>Throws the <see cref="UsageException"/> of <c>--precision float16</c> for a single-vector model (<paramref name="model"/>).</summary>
    public void RefuseFloat16(ParseResult p, string model)
    {
        if (precision.IsFloat16(p))
            throw new UsageException($"--precision float16 is for a late-interaction (ColBERT) index's token vectors; {model} makes one vector a text (float32, int8, uint8, binary or ubinary)");
    }
}
