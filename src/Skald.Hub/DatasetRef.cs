namespace Skald.Hub;

/// <summary>
/// A dataset on the hub as a data path names it: <c>org/name[@revision][:split]</c> or
/// <c>org/name[@revision][:subset/split]</c>, e.g. <c>Fremtind/all-nli-norwegian:triplet/train</c>. Without a split the
/// reader's default is used (train for training data, test for evaluation); without a subset every Parquet file of the
/// split is read (an error when they belong to several subsets).
/// </summary>
/// <param name="Id">The repository (a dataset id).</param>
/// <param name="Subset">The subset (configuration) folder, or null.</param>
/// <param name="Split">The split, or null for the reader's default.</param>
public sealed record DatasetRef(HubId Id, string? Subset, string? Split)
{
    private static readonly string[] DataExtensions = [".jsonl", ".json", ".csv", ".tsv", ".parquet", ".txt"];

    /// <summary>
    /// Reads <c>org/name[@revision][:[subset/]split]</c>; null when <paramref name="text"/> is not of that form or ends in
    /// a data file's extension (<c>dir/train.jsonl</c> is a missing file, not a dataset).
    /// </summary>
    public static DatasetRef? TryParse(string? text)
    {
        if (string.IsNullOrEmpty(text)) return null;
        if (DataExtensions.Any(e => text.EndsWith(e, StringComparison.OrdinalIgnoreCase))) return null;
        int colon = text.IndexOf(':', StringComparison.Ordinal);
        if (HubId.TryParse(colon < 0 ? text : text[..colon]) is not { } id) return null;
        if (colon < 0) return new DatasetRef(id.AsDataset(), null, null);
        var parts = text[(colon + 1)..].Split('/');
        if (parts.Length > 2 || parts.Any(p => p.Length == 0 || !HubCache.IsSafeFileName(p))) return null;
        return parts.Length == 2 ? new DatasetRef(id.AsDataset(), parts[0], parts[1]) : new DatasetRef(id.AsDataset(), null, parts[0]);
    }

    /// <inheritdoc/>
    public override string ToString() =>
        Id + (Split is null ? "" : ":" + (Subset is null ? "" : Subset + "/") + Split);
}
