using Skald.Training.Data;

namespace Skald.Training.Config;

/// <summary>
/// The data section's FlagEmbedding options (<see cref="FlagEmbeddingInstructions"/>): <c>query_instruction_for_retrieval</c>,
/// <c>query_instruction_format</c>, <c>passage_instruction_for_retrieval</c>, <c>passage_instruction_format</c> and
/// <c>shuffle_ratio</c>, named as upstream's data arguments; a format Python would refuse, or one given without its
/// instruction (upstream would ignore it), is one line naming the key.
/// </summary>
internal static class FlagEmbeddingKeys
{
    /// <summary>The keys as <paramref name="d"/> (the data section) gives them.</summary>
    public static FlagEmbeddingInstructions Read(SectionReader d)
    {
        string? query = d.Str("query_instruction_for_retrieval"), passage = d.Str("passage_instruction_for_retrieval");
        return new FlagEmbeddingInstructions(query, Format(d, "query_instruction_format", query is not null),
            passage, Format(d, "passage_instruction_format", passage is not null), d.Double("shuffle_ratio", 0, 0, 1));
    }

    /// <summary>The first of the keys <paramref name="f"/> sets, for messages.</summary>
    public static string FirstSet(FlagEmbeddingInstructions f) =>
        f.Query is not null ? "query_instruction_for_retrieval" : f.Passage is not null ? "passage_instruction_for_retrieval" : "shuffle_ratio";

    private static string Format(SectionReader d, string key, bool instructed)
    {
        if (d.Str(key) is not { } format) return "{}{}";
        if (!instructed)
            throw new TrainingException($"{d.Where(key)}: data.{key} formats data.{key.Replace("_format", "_for_retrieval", StringComparison.Ordinal)}, which is not set");
        format = format.Replace("\\n", "\n", StringComparison.Ordinal); // as upstream's __post_init__: "\n" typed as two characters
        return InstructionFormat.Problem(format) is { } problem
            ? throw new TrainingException($"{d.Where(key)}: data.{key} '{format.ReplaceLineEndings("\\n")}' is no format of (instruction, text): {problem}")
            : format;
    }
}
