using System.CommandLine;
using System.Globalization;
using Skald.Retrieval.Ivf;

namespace Skald.Cli.CommandLine;

/// <summary>
/// The inverted-list options (<c>--ivf-lists</c>, <c>--ivf-probes</c>) of the commands that build an IVF index or
/// evaluate search as one would answer, and the one reading of them.
/// </summary>
internal sealed class IvfCommandOptions
{
    /// <summary>The pair of options; <paramref name="what"/> says what the lists serve.</summary>
    public IvfCommandOptions(string what)
    {
        Lists = CliOptions.Text("--ivf-lists",
            $"{what}: approximate dense search (IVF, as faiss's IndexIVFFlat): rows grouped by their nearest of N k-means centroids, " +
            "each query scanning only the lists nearest it; auto: 4·√rows, at most rows/39", "N|auto");
        Probes = CliOptions.Int("--ivf-probes", "With --ivf-lists: lists a query scans, nearest first (default: a sixteenth of the lists, at least 8; more is slower and finds more)");
    }

    /// <summary><c>--ivf-lists</c>.</summary>
    public Option<string> Lists { get; }

    /// <summary><c>--ivf-probes</c>.</summary>
    public Option<int?> Probes { get; }

    /// <summary>The options to add to a command.</summary>
    public IEnumerable<Option> All => [Lists, Probes];

    /// <summary>The settings, or null without <c>--ivf-lists</c> (a <c>--ivf-probes</c> alone is a usage error).</summary>
    public IvfOptions? Of(ParseResult p)
    {
        string? lists = p.GetValue(Lists);
        int? probes = p.GetValue(Probes);
        if (lists is null)
        {
            if (probes is not null) throw new UsageException("--ivf-probes needs --ivf-lists");
            return null;
        }
        int count = 0;
        if (lists != "auto" && (!int.TryParse(lists, NumberStyles.None, CultureInfo.InvariantCulture, out count) || count < 1))
            throw new UsageException($"--ivf-lists: '{lists}' is not a positive number or auto");
        return new IvfOptions { Lists = count, Probes = probes ?? 0 };
    }
}
