using Skald.Cli.IO;
using Skald.Models.Generation;

namespace Skald.Cli.Commands;

/// <summary>
/// Generation that an interrupted run resumes without losing or changing a row: the prompts are decoded in the batches
/// of <see cref="TextGenerator.Batches"/> (fixed by the prompts' lengths and the batch size), and each finished batch is
/// appended to a <see cref="GenerateJournal"/>. A batch all of whose rows the journal holds is taken from it; any other
/// is decoded whole, with the same batch mates as in an uninterrupted run. That is what makes a resumed run's bytes
/// equal an uninterrupted one's: a row's sampling stream is its own (seeded by its input index), but its sums are not
/// independent of its batch (the left padding and the number of rows choose the GEMM and attention paths, which round
/// differently), so decoding only the missing rows of a batch together could change them.
/// </summary>
internal static class JournaledGeneration
{
    /// <summary>
    /// Every prompt's result, in input order, how many came from <paramref name="journal"/> (null: none kept) and how
    /// many tokens were generated for the others;
    /// <paramref name="resuming"/> is told that count first when it is not 0; <paramref name="onText"/> (input index,
    /// new text) streams the rows that are decoded.
    /// </summary>
    public static (GenerationResult[] Results, int Resumed, long Tokens) Run(TextGenerator generator, IReadOnlyList<int[]> prompts,
        GenerationOptions options, int batchSize, GenerateJournal? journal, Action<int>? resuming = null,
        Action<int, string>? onText = null)
    {
        var batches = TextGenerator.Batches(prompts, batchSize);
        var done = journal is null ? [] : batches.Where(rows => rows.All(journal.Rows.ContainsKey)).ToHashSet();
        int resumed = done.Sum(rows => rows.Length);
        if (resumed > 0) resuming?.Invoke(resumed);
        var results = new GenerationResult[prompts.Count];
        long tokens = 0;
        foreach (var rows in batches)
        {
            GenerationResult[] outs;
            if (done.Contains(rows)) outs = [.. rows.Select(i => journal!.Rows[i])];
            else
            {
                outs = generator.GenerateBatch(prompts, rows, options, onText);
                journal?.Append(rows, outs);
                tokens += outs.Sum(r => (long)r.Ids.Length);
            }
            for (int b = 0; b < rows.Length; b++) results[rows[b]] = outs[b];
        }
        return (results, resumed, tokens);
    }
}
