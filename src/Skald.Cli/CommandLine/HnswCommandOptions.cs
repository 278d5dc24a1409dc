using System.CommandLine;
using Skald.Retrieval.Hnsw;

namespace Skald.Cli.CommandLine;

/// <summary>
/// The HNSW graph options (<c>--hnsw</c>, <c>--hnsw-ef-construction</c>, <c>--hnsw-ef</c>) of the commands that build
/// an HNSW index or evaluate search as one would answer, and the one reading of them.
/// </summary>
internal sealed class HnswCommandOptions
{
    /// <summary>The three options; <paramref name="what"/> says what the graph serves.</summary>
    public HnswCommandOptions(string what)
    {
        M = CliOptions.Int("--hnsw",
            $"{what}: approximate dense search over an HNSW graph (as hnswlib) with M links per node (16 is hnswlib's default; " +
            "more finds more and costs memory and build time)", min: 2, helpName: "M");
        EfConstruction = CliOptions.Int("--hnsw-ef-construction",
            $"With --hnsw: candidates kept while each row's links are chosen (default {HnswOptions.DefaultEfConstruction}; more builds a better graph, slower)");
        Ef = CliOptions.Int("--hnsw-ef",
            $"With --hnsw: candidates a search keeps by default (default {HnswOptions.DefaultEfSearch}; more is slower and finds more)");
    }

    /// <summary><c>--hnsw</c>.</summary>
    public Option<int?> M { get; }

    /// <summary><c>--hnsw-ef-construction</c>.</summary>
    public Option<int?> EfConstruction { get; }

    /// <summary><c>--hnsw-ef</c>.</summary>
    public Option<int?> Ef { get; }

    /// <summary>The options to add to a command.</summary>
    public IEnumerable<Option> All => [M, EfConstruction, Ef];

    /// <summary>The settings, or null without <c>--hnsw</c> (the other two alone are a usage error).</summary>
    public HnswOptions? Of(ParseResult p)
    {
        int? m = p.GetValue(M), efc = p.GetValue(EfConstruction), ef = p.GetValue(Ef);
        if (m is null)
        {
            if (efc is not null || ef is not null) throw new UsageException($"{(efc is not null ? "--hnsw-ef-construction" : "--hnsw-ef")} needs --hnsw M");
            return null;
        }
        if (m > 100) throw new UsageException($"--hnsw: {m} links per node is more than 100 (hnswlib's users stay within 4–64)");
        return new HnswOptions { M = m.Value, EfConstruction = efc ?? HnswOptions.DefaultEfConstruction, EfSearch = ef ?? 0 };
    }
}
