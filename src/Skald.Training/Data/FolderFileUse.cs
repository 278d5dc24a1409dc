namespace Skald.Training.Data;

/// <summary>What becomes of one file of a FlagEmbedding training folder under its thresholds (<see cref="FlagEmbeddingFolder"/>).</summary>
public enum FolderFileUse
{
    /// <summary>Trained as a data set of its own (at least <c>small_threshold</c> rows).</summary>
    DataSet,

    /// <summary>Fewer rows than <c>small_threshold</c>: merged with the folder's other small files into one data set.</summary>
    Merged,

    /// <summary>Small, and the folder's small files together have fewer rows than <c>drop_threshold</c>: left out.</summary>
    Dropped,

    /// <summary>No rows: left out.</summary>
    Empty,
}
