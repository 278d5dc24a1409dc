namespace Skald.Retrieval.Metrics;

/// <summary>
/// sentence-transformers' <c>MSEEvaluator</c> score: how far a student's embeddings are from a teacher's, the mean
/// squared difference over every value of every row, times 100, negated so that higher is better.
/// </summary>
/// <remarks>Upstream: https://github.com/UKPLab/sentence-transformers/blob/85ec64559f4414aa536eca4bf53538291e0a333f/sentence_transformers/evaluation/MSEEvaluator.py</remarks>
public static class EmbeddingMse
{
    /// <summary>
    /// −100 · mean((teacher − student)²) over all rows and dimensions, summed in double. Row i of
    /// <paramref name="teacher"/> (the teacher's embedding of source text i) is compared with row i of
    /// <paramref name="student"/> (the student's of target text i). Different row counts, widths or no rows are an
    /// <see cref="ArgumentException"/>.
    /// </summary>
    public static double NegativeMse(IReadOnlyList<float[]> teacher, IReadOnlyList<float[]> student)
    {
        ArgumentNullException.ThrowIfNull(teacher);
        ArgumentNullException.ThrowIfNull(student);
        if (teacher.Count != student.Count) throw new ArgumentException($"{teacher.Count} teacher embeddings, {student.Count} student embeddings");
        if (teacher.Count == 0) throw new ArgumentException("no embeddings to compare", nameof(teacher));
        int dim = teacher[0].Length;
        double sum = 0;
        for (int i = 0; i < teacher.Count; i++)
        {
            float[] t = teacher[i], s = student[i];
            if (t.Length != dim || s.Length != dim)
                throw new ArgumentException($"row {i}: the teacher's embedding has {t.Length} values, the student's {s.Length} (expected {dim} for both)");
            for (int d = 0; d < dim; d++)
            {
                double diff = (double)t[d] - s[d];
                sum += diff * diff;
            }
        }
        return -100.0 * sum / ((double)teacher.Count * dim);
    }
}
