using System.Globalization;
using Parquet;
using Parquet.Schema;
namespace Skald.Retrieval.Data;

/// <summary>
/// Reads a Parquet file (how Hugging Face publishes datasets) through Parquet.Net into a table of text: the top-level
/// columns in schema order, every row group in order; strings as they are, numbers written invariantly, booleans as 0/1,
/// nulls as missing. Nested, list or binary columns are an error naming the column. Row numbers count from 1 over the
/// whole file. Used by the evaluation readers (<see cref="DataFiles"/>) and the training reader alike; problems are an
/// <see cref="EvaluationException"/> naming the file (and column).
/// </summary>
public static class ParquetTableReader
{
    /// <summary>The header and the rows (row number, one value per column) of the file at <paramref name="path"/>.</summary>
    public static (List<string> Header, List<(int Line, string?[] Values)> Rows) Read(string path)
    {
        try
        {
            return ReadAsync(path).AsTask().GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is not EvaluationException)
        {
            throw new EvaluationException($"{path}: not a readable Parquet file ({e.Message.Split('\n')[0]})");
        }
    }

    /// <summary>The top-level column names of the file at <paramref name="path"/>, read from its schema only.</summary>
    public static List<string> Columns(string path)
    {
        try
        {
            return ColumnsAsync(path).AsTask().GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is not EvaluationException)
        {
            throw new EvaluationException($"{path}: not a readable Parquet file ({e.Message.Split('\n')[0]})");
        }
    }

    /// <summary>The message for a column the reader needs but the file lacks.</summary>
    public static string MissingColumn(string path, string column, IEnumerable<string> found) =>
        $"{path}: no column \"{column}\" (found: {string.Join(", ", found)})";

    private static async ValueTask<List<string>> ColumnsAsync(string path)
    {
        await using var stream = File.OpenRead(path);
        await using var reader = await ParquetReader.CreateAsync(stream);
        return [.. reader.Schema.Fields.Select(f => f.Name)];
    }

    private static async ValueTask<(List<string>, List<(int, string?[])>)> ReadAsync(string path)
    {
        await using var stream = File.OpenRead(path);
        await using var reader = await ParquetReader.CreateAsync(stream);
        var fields = reader.Schema.Fields;
        foreach (var f in fields)
        {
            if (f is not DataField d || d.IsArray)
                throw new EvaluationException($"{path}: column '{f.Name}' is a {f.SchemaType.ToString().ToLowerInvariant()} column; only text and number columns are read");
        }
        var data = fields.Cast<DataField>().ToList();
        var header = data.Select(d => d.Name).ToList();
        var rows = new List<(int, string?[])>();
        for (int g = 0; g < reader.RowGroupCount; g++)
        {
            using var group = reader.OpenRowGroupReader(g);
            int n = checked((int)group.RowCount);
            var columns = new string?[data.Count][];
            for (int c = 0; c < data.Count; c++) columns[c] = await ReadColumn(group, data[c], n, path);
            for (int r = 0; r < n; r++)
            {
                var values = new string?[data.Count];
                for (int c = 0; c < data.Count; c++) values[c] = columns[c][r];
                rows.Add((rows.Count + 1, values));
            }
        }
        return (header, rows);
    }

    private static async ValueTask<string?[]> ReadColumn(ParquetRowGroupReader group, DataField field, int n, string path)
    {
        Type t = field.ClrType;
        if (t == typeof(ReadOnlyMemory<char>) || t == typeof(string))
        {
            var values = new string?[n];
            await group.ReadAsync(field, values.AsMemory());
            return values;
        }
        if (t == typeof(float)) return await Numbers<float>(group, field, n, v => v.ToString("R", CultureInfo.InvariantCulture));
        if (t == typeof(double)) return await Numbers<double>(group, field, n, v => v.ToString("R", CultureInfo.InvariantCulture));
        if (t == typeof(int)) return await Numbers<int>(group, field, n, v => v.ToString(CultureInfo.InvariantCulture));
        if (t == typeof(long)) return await Numbers<long>(group, field, n, v => v.ToString(CultureInfo.InvariantCulture));
        if (t == typeof(short)) return await Numbers<short>(group, field, n, v => v.ToString(CultureInfo.InvariantCulture));
        if (t == typeof(sbyte)) return await Numbers<sbyte>(group, field, n, v => v.ToString(CultureInfo.InvariantCulture));
        if (t == typeof(byte)) return await Numbers<byte>(group, field, n, v => v.ToString(CultureInfo.InvariantCulture));
        if (t == typeof(bool)) return await Numbers<bool>(group, field, n, v => v ? "1" : "0");
        throw new EvaluationException($"{path}: column '{field.Name}' has type {t.Name}; only text and number columns are read");
    }

    private static async ValueTask<string?[]> Numbers<T>(ParquetRowGroupReader group, DataField field, int n, Func<T, string> format)
        where T : struct
    {
        var values = new T?[n];
        await group.ReadAsync<T>(field, values.AsMemory());
        return [.. values.Select(v => v is { } x ? format(x) : null)];
    }
}
