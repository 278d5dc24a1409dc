using System.Text;
using Skald.Tensors;

namespace Skald.Training.Data;

/// <summary>
/// FlagEmbedding's run-wide data options (<c>AbsEmbedderDataArguments</c>), which its training dataset applies to each
/// drawn group: the query instruction (<c>query_instruction_for_retrieval</c>, written into
/// <c>query_instruction_format</c>, "{}{}" by default; a row's own <c>prompt</c> takes its place), the passage
/// instruction (<c>passage_instruction_for_retrieval</c> / <c>passage_instruction_format</c>) on every drawn document,
/// and <c>shuffle_ratio</c>: the chance that the drawn positive, when longer than 100 characters, is cut into three
/// pieces that are put back in a random order, joined by spaces (before its instruction is written).
/// </summary>
/// <remarks>
/// Upstream: https://github.com/FlagOpen/FlagEmbedding/blob/7ed43d67ec03fbe5c31c0992dbfa941fb1860549/FlagEmbedding/abc/finetune/embedder/AbsDataset.py
/// (AbsEmbedderTrainDataset._shuffle_text and __getitem__) and AbsArguments.py (the defaults, "\n" written as two
/// characters in a format read as a line break).
/// </remarks>
/// <param name="Query">The query instruction, or null: none (a row's <c>prompt</c> is then not read, as upstream: see <see cref="QueryText"/>).</param>
/// <param name="QueryFormat">Python format of (instruction, query).</param>
/// <param name="Passage">The passage instruction, or null: none.</param>
/// <param name="PassageFormat">Python format of (instruction, passage).</param>
/// <param name="ShuffleRatio">The chance, in [0, 1], that a long drawn positive is shuffled.</param>
public sealed record FlagEmbeddingInstructions(string? Query = null, string QueryFormat = "{}{}", string? Passage = null,
    string PassageFormat = "{}{}", double ShuffleRatio = 0)
{
    /// <summary>No instruction, no shuffling.</summary>
    public static FlagEmbeddingInstructions None { get; } = new();

    /// <summary>Whether any option is set.</summary>
    public bool Any => Query is not null || Passage is not null || ShuffleRatio > 0;

    /// <summary>
    /// A group's query as trained on: with a query instruction, the format of (the row's prompt, else the instruction,
    /// the query); without one, the query alone, its row's prompt unread (upstream reads <c>prompt</c> only inside the
    /// query instruction's branch; an empty instruction, "", reads it with the default "{}{}").
    /// </summary>
    public string QueryText(string query, string? rowPrompt) =>
        Query is { } instruction ? InstructionFormat.Apply(QueryFormat, rowPrompt ?? instruction, query) : query;

    /// <summary>
    /// <paramref name="text"/> as FlagEmbedding's same-dataset batches write a query (<c>_create_batch_data</c>), and a
    /// symmetric_sts / symmetric_clustering batch its passages: the row's prompt, else the query instruction, in
    /// <see cref="QueryFormat"/>, a prompt being read without an instruction too. With neither the text alone (upstream
    /// would write Python's <c>None</c> before it).
    /// </summary>
    public string SameDatasetQueryText(string text, string? rowPrompt) =>
        (rowPrompt ?? Query) is { } instruction ? InstructionFormat.Apply(QueryFormat, instruction, text) : text;

    /// <summary>A drawn document as trained on: with a passage instruction, the format of (instruction, document).</summary>
    public string PassageText(string passage) => Passage is { } instruction ? InstructionFormat.Apply(PassageFormat, instruction, passage) : passage;

    /// <summary>
    /// Upstream's _shuffle_text with <paramref name="random"/>: when the ratio is above 0, the text longer than 100
    /// characters (Unicode code points, as Python counts) and a uniform draw below the ratio, the text is cut into
    /// pieces of ⌊n / 3⌋ + 1 code points (three pieces), shuffled (Fisher–Yates) and joined with a space; else as it is.
    /// Draws nothing when the ratio is 0 or the text is short.
    /// </summary>
    public static string ShuffleText(string text, double ratio, SkaldRandom random)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(random);
        if (ratio <= 0) return text;
        int n = 0;
        foreach (var _ in text.EnumerateRunes()) n++;
        if (n <= 100 || random.NextDouble() >= ratio) return text;
        int size = n / 3 + 1;
        var pieces = new List<string>();
        var piece = new StringBuilder();
        int count = 0;
        foreach (var rune in text.EnumerateRunes())
        {
            piece.Append(rune.ToString());
            if (++count % size == 0)
            {
                pieces.Add(piece.ToString());
                piece.Clear();
            }
        }
        if (piece.Length > 0) pieces.Add(piece.ToString());
        int[] order = [.. Enumerable.Range(0, pieces.Count)];
        TextDataset.Shuffle(order, random);
        return string.Join(' ', order.Select(i => pieces[i]));
    }
}
