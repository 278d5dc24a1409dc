namespace Skald.Retrieval.Bm25;

/// <summary>BM25 parameters.</summary>
/// <param name="K1">Term-frequency saturation (default 0.9, Anserini's default for BEIR baselines).</param>
/// <param name="B">Length normalisation (default 0.4, Anserini's default).</param>
/// <param name="Idf">idf variant (default ATIRE's ln(N/df)).</param>
/// <remarks>
/// The defaults were chosen by comparing with Xapian's BM25 on the ../shared/data retrieval tasks
/// (scripts/bm25_xapian/compare.py); Lucene's classic k1 = 1.2, b = 0.75 is one <c>--k1 1.2 --b 0.75</c> away.
/// </remarks>
public sealed record Bm25Parameters(double K1 = 0.9, double B = 0.4, Bm25Idf Idf = Bm25Idf.Atire);
