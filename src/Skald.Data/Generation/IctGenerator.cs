using Skald.Data.Ingest;
using Skald.Retrieval.Models;

namespace Skald.Data.Generation;

/// <summary>
/// Pseudo-queries without a language model, from the documents themselves: the inverse cloze task (Lee et al. 2019,
/// "Latent Retrieval for Weakly Supervised Open Domain QA") takes a sentence out of a passage as the query and keeps
/// the rest of the passage as its positive, so a model learns to find the context a sentence came from. A passage is
/// what <c>skald index build</c> makes of the chunk: its title (<see cref="Chunk.Title"/>: the section heading, and the
/// caption of a table whose rows it starts with) as the BEIR title, before the text the model is searched over
/// (<see cref="CorpusDocument.FullText"/>). The query sentence is removed from the passage, so the
/// pair is never a verbatim copy, and what is left must hold enough words of its own, the heading not counted
/// (<see cref="PairFilter"/>); a sentence that chunk overlap repeats at the start of the next chunk is never taken
/// (it would stay, word for word, in that neighbour: a passage the qrels do not name that holds the query, which BM25
/// finds first and a miner offers as a negative). A heading is a query of its passage by the same rule: only when no
/// other passage has that heading (a section of one chunk, its heading used nowhere else), and then it is taken out
/// of the passage as the sentence is (the passage's title is left with the caption alone, or empty); a heading every passage of its section
/// carries as title would be a query that its positive and each sibling hold verbatim. A chunk of one sentence stays
/// in the corpus as a passage without a query, and so does one whose sentences are all outside the query length or
/// repeated by the overlap, or whose query the filter dropped: each counted by reason
/// (<see cref="GeneratedSet.ChunksWithoutQuery"/>).
/// </summary>
public static class IctGenerator
{
    /// <summary>A chunk skipped as one sentence: nothing would be left as the passage once it is the query.</summary>
    public const string OneSentence = "one sentence";

    /// <summary>A chunk skipped as having no sentence of the query length (<see cref="FilterOptions.MinQueryWords"/> to <see cref="FilterOptions.MaxQueryWords"/> words).</summary>
    public const string NoQueryLength = "no sentence of a query's length";

    /// <summary>A chunk skipped as having only sentences of the query length that the overlap repeats in a neighbour.</summary>
    public const string Overlap = "only sentences the overlap repeats";

    /// <summary>A chunk whose every candidate query the filter dropped (<see cref="GeneratedSet.Filtered"/> says why).</summary>
    public const string AllFiltered = "every candidate filtered";

    /// <summary>The corpus (one passage per chunk) and the queries drawn from <paramref name="chunks"/>.</summary>
    public static GeneratedSet Generate(IReadOnlyList<Chunk> chunks, IctOptions options)
    {
        var random = new Random(options.Seed);
        var filter = new PairFilter(options.Filter);
        var corpus = new List<CorpusDocument>(chunks.Count);
        var queries = new List<GeneratedQuery>();
        var headings = chunks.Where(c => c.Heading.Length > 0).GroupBy(c => PairFilter.Key(c.Heading), StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var shared = Shared(chunks);
        var skipped = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var chunk in chunks)
        {
            var picked = Pick(chunk, options, random, shared);
            string passage = picked.Count == 0 ? chunk.Text
                : chunk.Join(i => !picked.Contains(i)); // (table rows stay on lines of their own)
            var kept = new List<GeneratedQuery>();
            foreach (int i in picked.Order())
            {
                if (filter.Accept(chunk.SentenceTexts[i], passage, title: chunk.Title))
                    kept.Add(new GeneratedQuery("", chunk.SentenceTexts[i], chunk.Id, "ict"));
            }
            if (kept.Count == 0) passage = chunk.Text; // nothing taken out after all
            string title = chunk.Title;
            if (options.HeadingPairs && chunk.Heading.Length > 0 && headings.GetValueOrDefault(PairFilter.Key(chunk.Heading)) == 1
                && filter.Accept(chunk.Heading, passage, heading: true, title: chunk.Context))
            {
                kept.Insert(0, new GeneratedQuery("", chunk.Heading, chunk.Id, "heading"));
                title = chunk.Context; // the heading taken out of its passage, as a query sentence is
            }
            corpus.Add(new CorpusDocument(chunk.Id, title, passage));
            foreach (var q in kept) queries.Add(q with { Id = $"q{queries.Count}" });
            if (kept.Count == 0)
            {
                string why = picked.Count > 0 ? AllFiltered : WhyNone(chunk, options.Filter, shared);
                skipped[why] = skipped.GetValueOrDefault(why) + 1;
            }
        }
        return new GeneratedSet(corpus, queries, filter.Dropped) { ChunksWithoutQuery = skipped };
    }

    /// <summary>Why <see cref="Pick"/> took no sentence of <paramref name="chunk"/>.</summary>
    private static string WhyNone(Chunk chunk, FilterOptions filter, HashSet<(string Source, TextSpan Span)> shared)
    {
        if (chunk.Sentences.Count < 2) return OneSentence;
        bool anyOfLength = Enumerable.Range(0, chunk.Sentences.Count).Any(i => OfQueryLength(chunk.SentenceTexts[i], filter));
        return anyOfLength ? Overlap : NoQueryLength;
    }

    private static bool OfQueryLength(string sentence, FilterOptions filter)
    {
        int w = TokenCounter.CountWords(sentence);
        return w >= filter.MinQueryWords && w <= filter.MaxQueryWords;
    }

    /// <summary>The sentences (source, span) that more than one chunk holds: the overlap between neighbours.</summary>
    private static HashSet<(string Source, TextSpan Span)> Shared(IReadOnlyList<Chunk> chunks)
    {
        var seen = new HashSet<(string, TextSpan)>();
        var shared = new HashSet<(string, TextSpan)>();
        foreach (var chunk in chunks)
        {
            foreach (var span in chunk.Sentences)
            {
                if (!seen.Add((chunk.Source, span))) shared.Add((chunk.Source, span));
            }
        }
        return shared;
    }

    /// <summary>
    /// Sentence indices to take out: eligible by length and held by no other chunk, at most QueriesPerChunk, always
    /// leaving one sentence.
    /// </summary>
    private static HashSet<int> Pick(Chunk chunk, IctOptions options, Random random, HashSet<(string Source, TextSpan Span)> shared)
    {
        var picked = new HashSet<int>();
        if (chunk.Sentences.Count < 2) return picked;
        var eligible = Enumerable.Range(0, chunk.Sentences.Count).Where(i =>
        {
            return !shared.Contains((chunk.Source, chunk.Sentences[i])) && OfQueryLength(chunk.SentenceTexts[i], options.Filter);
        }).ToList();
        int n = Math.Min(options.QueriesPerChunk, Math.Min(eligible.Count, chunk.Sentences.Count - 1));
        for (int k = 0; k < n; k++)
        {
            int j = random.Next(eligible.Count);
            picked.Add(eligible[j]);
            eligible.RemoveAt(j);
        }
        return picked;
    }
}
