using Skald.Models.LateInteraction;
using YamlDotNet.RepresentationModel;

namespace Skald.Training.Config;

/// <summary>
/// <c>model</c> keys of a ColBERT (<c>model.type: colbert</c>), PyLate's <c>ColBERT(...)</c> arguments: each given one
/// replaces the folder's own setting (config_sentence_transformers.json) or PyLate's default (null: not given).
/// </summary>
/// <param name="EmbeddingSize">embedding_size: the token vectors' width; a new Dense projection is added when the folder's last one is not this wide (PyLate: 128 when a base has none).</param>
/// <param name="QueryPrefix">query_prefix: the token put after a query's first token ("" for none).</param>
/// <param name="DocumentPrefix">document_prefix: the token put after a document's first token.</param>
/// <param name="QueryLength">query_length: a query's tokens, prefix included.</param>
/// <param name="DocumentLength">document_length: a document's most tokens, prefix included.</param>
/// <param name="DoQueryExpansion">do_query_expansion: queries padded to query_length with mask tokens whose vectors count.</param>
/// <param name="AttendToExpansionTokens">attend_to_expansion_tokens: a query's tokens attend to its expansion tokens.</param>
/// <param name="SkiplistWords">skiplist_words: the tokens whose vectors documents leave out (a list; [] for none).</param>
public sealed record ColbertModelKeys(int? EmbeddingSize = null, string? QueryPrefix = null, string? DocumentPrefix = null, int? QueryLength = null,
    int? DocumentLength = null, bool? DoQueryExpansion = null, bool? AttendToExpansionTokens = null, IReadOnlyList<string>? SkiplistWords = null)
{
    /// <summary>The keys this record reads.</summary>
    public static readonly IReadOnlyList<string> Keys =
        ["embedding_size", "query_prefix", "document_prefix", "query_length", "document_length", "do_query_expansion", "attend_to_expansion_tokens", "skiplist_words"];

    /// <summary>Reads the keys from <paramref name="m"/>; any of them under another model.type is refused in one line.</summary>
    internal static ColbertModelKeys? Read(SectionReader m, string modelType)
    {
        foreach (string key in Keys)
        {
            if (m.Node(key) is not null && modelType != "colbert")
                throw new TrainingException($"{m.Where(key)}: model.{key} is a ColBERT's (model.type: colbert)");
        }
        if (modelType != "colbert") return null;
        return new ColbertModelKeys(m.IntOrNull("embedding_size", 1), m.Str("query_prefix"), m.Str("document_prefix"),
            m.IntOrNull("query_length", 2), m.IntOrNull("document_length", 2),
            m.Str("do_query_expansion") is null ? null : m.Bool("do_query_expansion", true),
            m.Str("attend_to_expansion_tokens") is null ? null : m.Bool("attend_to_expansion_tokens", false), Words(m, "skiplist_words"));
    }

    // A YAML list of tokens (PyLate's list of words; each looked up as one token, as convert_tokens_to_ids does); [] keeps every vector.
    private static string[]? Words(SectionReader m, string key)
    {
        var node = m.Node(key);
        if (node is null) return null;
        if (node is not YamlSequenceNode seq || seq.Children.Any(c => c is not YamlScalarNode { Value: not null }))
            throw new TrainingException($"{m.Where(key)}: model.{key} must be a list of tokens, e.g. [\".\", \",\", \"!\"] ([] for none)");
        return [.. seq.Children.Select(c => ((YamlScalarNode)c).Value!)];
    }

    /// <summary><paramref name="settings"/> with the given keys in place of its values (no expansion: not attended either, as PyLate).</summary>
    public ColbertSettings Apply(ColbertSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var s = settings with
        {
            QueryPrefix = QueryPrefix ?? settings.QueryPrefix,
            DocumentPrefix = DocumentPrefix ?? settings.DocumentPrefix,
            QueryLength = QueryLength ?? settings.QueryLength,
            DocumentLength = DocumentLength ?? settings.DocumentLength,
            DoQueryExpansion = DoQueryExpansion ?? settings.DoQueryExpansion,
            AttendToExpansionTokens = AttendToExpansionTokens ?? settings.AttendToExpansionTokens,
            SkiplistWords = SkiplistWords ?? settings.SkiplistWords,
        };
        return s.DoQueryExpansion ? s : s with { AttendToExpansionTokens = false };
    }
}
