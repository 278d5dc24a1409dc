namespace Skald.Retrieval.Index;

/// <summary>
/// Which rows a search may return. <see cref="Sources"/>: the row's <see cref="IndexRecord.Source"/> (the file it was
/// read from, as the index recorded it: relative to its documents root, or, given the root, the file's full path under
/// it; <see cref="MatchesSource(string, string?)"/>) matches one of the patterns (<see cref="SourcePattern"/>): <c>*</c> any
/// run of characters, slashes included, <c>?</c> one character, <c>/</c> and <c>\</c> alike, the case as written
/// (<c>*/hr/*</c>, <c>hr\*</c>, <c>*.pdf</c>). <see cref="Fields"/>: for every key, the
/// row's <see cref="IndexRecord.Fields"/> (a .jsonl document's own columns) holds one of the values given for it (the
/// text exactly). <see cref="Comparisons"/>: every one holds (<see cref="FieldComparison"/>: <c>year&gt;=2020</c> and
/// <c>year&lt;2025</c> make a range). A row passes when it meets all three (an absent part always holds).
/// </summary>
public sealed class IndexFilter
{
    private readonly string[]? sources;
    private readonly Dictionary<string, HashSet<string>>? fields;
    private readonly FieldComparison[]? comparisons;

    /// <summary>
    /// A filter on <paramref name="sources"/> patterns, on <paramref name="fields"/> (key → accepted values) and on
    /// <paramref name="comparisons"/>; null or empty parts are left out, but at least one part must be given, and no
    /// pattern, key or value list may be empty.
    /// </summary>
    public IndexFilter(IEnumerable<string>? sources = null, IEnumerable<KeyValuePair<string, IReadOnlyList<string>>>? fields = null,
        IEnumerable<FieldComparison>? comparisons = null)
    {
        this.comparisons = comparisons?.ToArray() is { Length: > 0 } c ? c : null;
        this.sources = sources?.ToArray() is { Length: > 0 } s ? s : null;
        if (this.sources?.Any(string.IsNullOrEmpty) == true) throw new ArgumentException("a source pattern is empty", nameof(sources));
        if (this.sources?.Any(p => p.Length > MaxLength) == true) throw new ArgumentException($"a source pattern is longer than {MaxLength} characters", nameof(sources));
        var map = fields?.ToList() ?? [];
        if (map.Count > 0)
        {
            this.fields = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
            foreach (var (key, values) in map)
            {
                if (string.IsNullOrEmpty(key)) throw new ArgumentException("a field name is empty", nameof(fields));
                if (values.Count == 0) throw new ArgumentException($"field \"{key}\" has no value to match", nameof(fields));
                if (key.Length > MaxLength || values.Any(v => v.Length > MaxLength))
                    throw new ArgumentException($"field \"{key[..Math.Min(key.Length, 40)]}\": a name or value is longer than {MaxLength} characters", nameof(fields));
                if (!this.fields.TryGetValue(key, out var set)) this.fields[key] = set = new HashSet<string>(StringComparer.Ordinal);
                set.UnionWith(values);
            }
        }
        if (this.sources is null && this.fields is null && this.comparisons is null)
            throw new ArgumentException("a filter needs a source pattern or a field to match");
    }

    /// <summary>Longest pattern, field name or value (characters).</summary>
    public const int MaxLength = 1024;

    /// <summary>A filter on source patterns only.</summary>
    public static IndexFilter OfSources(params string[] patterns) => new(patterns);

    /// <summary>The source patterns (null: any source).</summary>
    public IReadOnlyList<string>? Sources => sources;

    /// <summary>The fields and their accepted values (null: no field condition).</summary>
    public IReadOnlyDictionary<string, HashSet<string>>? Fields => fields;

    /// <summary>The range conditions, all of which must hold (null: none).</summary>
    public IReadOnlyList<FieldComparison>? Comparisons => comparisons;

    /// <summary>
    /// Whether a row read from <paramref name="source"/>, a path relative to the index's documents
    /// <paramref name="root"/> (<see cref="DocumentRoot"/>), passes: a pattern may match the path as recorded
    /// (<c>hr/*</c>) or the file's full path under the root (<c>*/hr/*</c>, <c>/srv/docs/hr/*</c>).
    /// </summary>
    public bool MatchesSource(string source, string? root) =>
        MatchesSource(source) || (root is not null && sources is not null && MatchesSource(DocumentRoot.Full(root, source)));

    /// <summary>Whether <paramref name="record"/> passes.</summary>
    public bool Matches(IndexRecord record) => MatchesSource(record.Source) && MatchesFields(record.Fields);

    /// <summary>Whether a row read from <paramref name="source"/> passes the source patterns (a search asks once per distinct source).</summary>
    public bool MatchesSource(string source) =>
        sources is null || sources.Any(p => SourcePattern.Matches(p, source));

    /// <summary>Whether a row with <paramref name="rowFields"/> passes the field conditions and comparisons.</summary>
    public bool MatchesFields(IReadOnlyDictionary<string, string>? rowFields) => MatchesFields(rowFields, 0, null);

    /// <summary>
    /// <see cref="MatchesFields(IReadOnlyDictionary{string, string}?)"/> for <paramref name="row"/> of an index whose
    /// fields <paramref name="values"/> has read as numbers and dates already (null: read them from the text).
    /// </summary>
    internal bool MatchesFields(IReadOnlyDictionary<string, string>? rowFields, int row, FieldValues? values)
    {
        if (fields is not null)
        {
            foreach (var (key, accepted) in fields)
            {
                if (rowFields is null || !rowFields.TryGetValue(key, out var value) || !accepted.Contains(value)) return false;
            }
        }
        if (comparisons is not null)
        {
            foreach (var c in comparisons)
            {
                string? text = rowFields?.GetValueOrDefault(c.Field);
                bool holds = values is null ? c.Holds(text) : text is not null && (c.Operator == ComparisonOperator.NotEqual ? "text" : c.Kind) switch
                {
                    "number" => c.Holds(text, values.Numbers(c.Field)[row], long.MinValue),
                    "date" => c.Holds(text, double.NaN, values.Instants(c.Field)[row]),
                    _ => c.Holds(text, double.NaN, long.MinValue),
                };
                if (!holds) return false;
            }
        }
        return true;
    }
}
