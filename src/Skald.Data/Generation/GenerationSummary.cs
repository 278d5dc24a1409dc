using Skald.Tokenizers.Serialization;

namespace Skald.Data.Generation;

/// <summary>
/// What <c>skald data generate</c> and a pipeline's generate stage say, once, after generating: the candidates the
/// filters dropped, each reason with the limit it was held to (a query of fewer than 4 words, a passage left with fewer
/// than 8), and the chunks that gave no query (their passages stay in the corpus), by reason; or, when no query is
/// left, all of that in the one error line (<see cref="NothingSurvived"/>).
/// </summary>
public static class GenerationSummary
{
    /// <summary>The summary lines of <paramref name="set"/>, generated from <paramref name="chunks"/> chunks under <paramref name="filter"/>; none when nothing was dropped.</summary>
    public static IReadOnlyList<string> Lines(GeneratedSet set, FilterOptions filter, int chunks)
    {
        ArgumentNullException.ThrowIfNull(set);
        ArgumentNullException.ThrowIfNull(filter);
        var lines = new List<string>();
        if (set.Filtered.Count > 0)
            lines.Add("filtered: " + string.Join(", ", set.Filtered.OrderBy(k => k.Key, StringComparer.Ordinal).Select(k => $"{k.Value} {Filtered(k.Key, filter)}")));
        int skipped = set.ChunksWithoutQuery.Values.Sum();
        if (skipped > 0)
        {
            lines.Add($"{skipped} of {Counted.Of(chunks, "chunk")} gave no query (kept in the corpus as passages): " + string.Join(", ",
                set.ChunksWithoutQuery.OrderByDescending(k => k.Value).ThenBy(k => k.Key, StringComparer.Ordinal).Select(k => $"{k.Value} {Skipped(k.Key, filter)}")));
        }
        return lines;
    }

    /// <summary>
    /// The one line when no query survived (nothing can be written): the summary's lines, so that it says why, and what
    /// to change.
    /// </summary>
    public static string NothingSurvived(GeneratedSet set, FilterOptions filter, int chunks) =>
        "no query survived generation and filtering" + string.Concat(Lines(set, filter, chunks).Select(l => "; " + l)) +
        "; nothing written (add documents, make chunks larger, or lower the filters)";

    /// <summary>A filter's reason (<see cref="PairFilter"/>) with the limit it holds a pair to.</summary>
    private static string Filtered(string reason, FilterOptions f) => reason switch
    {
        "too short" => $"too short (a query of fewer than {f.MinQueryWords} words, a heading of fewer than {f.MinHeadingWords})",
        "too long" => $"too long (a query of more than {f.MaxQueryWords} words)",
        "passage too short" => $"passage too short (fewer than {f.MinPassageWords} words left beside the query, the heading not counted)",
        _ => reason,
    };

    /// <summary>Why a chunk gave no query (<see cref="IctGenerator"/>'s reasons), in words.</summary>
    private static string Skipped(string reason, FilterOptions f) => reason switch
    {
        IctGenerator.OneSentence => "of one sentence (a query is a sentence taken out of its chunk, the rest its passage: larger chunks hold more sentences)",
        IctGenerator.NoQueryLength => $"with no sentence of {f.MinQueryWords} to {f.MaxQueryWords} words (a query's length)",
        IctGenerator.Overlap => "whose sentences of a query's length the overlap repeats in the next chunk",
        IctGenerator.AllFiltered => "whose every candidate query was filtered",
        _ => reason,
    };
}
