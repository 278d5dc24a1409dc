namespace Skald.Retrieval.Bm25;

/// <summary>Settings of the BM25 baseline.</summary>
public sealed record Bm25Options
{
    /// <summary>k1 and b.</summary>
    public Bm25Parameters Parameters { get; init; } = new();

    /// <summary>Stem with Snowball for the task's language when libstemmer is installed.</summary>
    public bool Stem { get; init; } = true;

    /// <summary>Force a Snowball algorithm ("norwegian", "danish", "swedish"), whatever the task's language.</summary>
    public string? StemmerOverride { get; init; }

    /// <summary>
    /// A document's language from its text (an ISO code, null for none), for a search whose language is
    /// <see cref="Index.Bm25Fields.PerDocument"/> ("auto"): each document is stemmed in the language this names, one
    /// field per stemmer, as <c>skald index build --language auto</c> does (the CLI gives the detector that command uses).
    /// </summary>
    public Func<string, string?>? DocumentLanguage { get; init; }

    /// <summary>Name in results.</summary>
    public string Name { get; init; } = "bm25";
}
