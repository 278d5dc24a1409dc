namespace Skald.Tests;

/// <summary>Vector arithmetic the tests of every project compare embeddings with (linked in by Directory.Build.props).</summary>
internal static class TestVectors
{
    /// <summary>Cosine of two vectors, accumulated in double (0 for a zero vector).</summary>
    public static double Cosine(float[] a, float[] b)
    {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.Length; i++)
        {
            dot += (double)a[i] * b[i];
            na += (double)a[i] * a[i];
            nb += (double)b[i] * b[i];
        }
        return dot / Math.Sqrt(Math.Max(na * nb, 1e-30));
    }
}
