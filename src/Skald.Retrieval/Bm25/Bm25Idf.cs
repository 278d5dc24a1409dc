namespace Skald.Retrieval.Bm25;

/// <summary>Inverse document frequency variants.</summary>
public enum Bm25Idf
{
    /// <summary>ln(N / df) — ATIRE's BM25 (Trotman, Puurula &amp; Burgess 2014); 0 for a term in every document.</summary>
    Atire,
    /// <summary>ln(1 + (N − df + 0.5)/(df + 0.5)) — Lucene's BM25Similarity.</summary>
    Lucene,
}
