using Parquet;
using Parquet.Schema;

namespace Skald.Cli.Tests;

/// <summary>Writes small Parquet files for tests with Parquet.Net (no binary fixtures in the repository).</summary>
internal static class ParquetFixture
{
    /// <summary>Writes text (string[]) and integer (long[]) columns to <paramref name="path"/> in two row groups; returns the path.</summary>
    public static string Write(string path, params (string Name, Array Values)[] columns)
    {
        File.WriteAllBytes(path, Bytes(columns));
        return path;
    }

    /// <summary>The bytes of such a file.</summary>
    public static byte[] Bytes(params (string Name, Array Values)[] columns)
    {
        var fields = columns.Select(c => c.Values is long[] ? (DataField)new DataField<long>(c.Name) : new DataField<string>(c.Name, true)).ToArray();
        using var ms = new MemoryStream();
        var w = ParquetWriter.CreateAsync(new ParquetSchema(fields), ms).GetAwaiter().GetResult();
        int n = columns[0].Values.Length, half = n / 2;
        foreach (var (start, count) in new[] { (0, half), (half, n - half) })
        {
            using var rg = w.CreateRowGroup();
            for (int c = 0; c < columns.Length; c++)
            {
                if (columns[c].Values is long[] l) rg.WriteAsync<long>(fields[c], l.AsMemory(start, count)).GetAwaiter().GetResult();
                else rg.WriteAsync(fields[c], ((string[])columns[c].Values)[start..(start + count)]).GetAwaiter().GetResult();
            }
        }
        w.DisposeAsync().AsTask().GetAwaiter().GetResult();
        return ms.ToArray();
    }
}
