namespace Skald.Data.Llm;

/// <summary>One finished chunk in the generation journal: its id, a fingerprint of what was asked, and the questions.</summary>
public sealed record JournalEntry(string Chunk, string Fingerprint, IReadOnlyList<string> Questions);
