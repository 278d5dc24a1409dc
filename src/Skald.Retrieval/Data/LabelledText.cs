namespace Skald.Retrieval.Data;

/// <summary>A labelled text.</summary>
public readonly record struct LabelledText(string Text, string Label);
