using System.Globalization;
using System.Text.Json;
using Parquet;
using Parquet.Data;
using Parquet.Schema;
namespace Skald.Retrieval.Data;

/// <summary>
/// Reads a Parquet file (how Hugging Face publishes datasets) through Parquet.Net into a table of text: the top-level
/// columns in schema order, every row group in order; strings as they are, numbers written invariantly, booleans as 0/1,
/// nulls as missing; a list of numbers (a LIST column, or a legacy repeated one) as its JSON text <c>[0.3,0.5]</c>, which
/// the training reader takes as list-valued labels, and (when asked) a list of texts as its JSON text too (the
/// documents of a listwise row). Other nested, list or binary columns are an error naming the column. Row numbers count from 1 over the
/// whole file. Used by the evaluation readers (<see cref="DataFiles"/>) and the training reader alike; problems are an
/// <see cref="EvaluationException"/> naming the file (and column).
/// </summary>
public static class ParquetTableReader
{
    /// <summary>
    /// The header and the rows (row number, one value per column) of the file at <paramref name="path"/>; with
    /// <paramref name="textLists"/> a list-of-texts column is read as each row's JSON array text (else it is an error);
    /// a null inside a list is an error naming the column and row, except in a column <paramref name="nullItems"/>
    /// accepts (a ColBERT data set's id lists, which PyLate never reads), where it is written as JSON's <c>null</c>.
    /// </summary>
    public static (List<string> Header, List<(int Line, string?[] Values)> Rows) Read(string path, bool textLists = false, Func<string, bool>? nullItems = null)
    {
        try
        {
            return ReadAsync(path, textLists, nullItems).AsTask().GetAwaiter().GetResult();
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

    /// <summary>The top-level columns of the file at <paramref name="path"/> that hold lists of texts (from its schema).</summary>
    public static List<string> TextListColumns(string path)
    {
        try
        {
            return TextListColumnsAsync(path).AsTask().GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is not EvaluationException)
        {
            throw new EvaluationException($"{path}: not a readable Parquet file ({e.Message.Split('\n')[0]})");
        }
    }

    /// <summary>
    /// The top-level columns of the file at <paramref name="path"/> that hold no text (numbers, booleans, lists of
    /// them, nested columns), each with its type as a message names it (<c>int64</c>, <c>list of double</c>), from the
    /// schema only: the values <see cref="Read"/> writes as text for them are not texts a reader expecting one may take.
    /// </summary>
    public static Dictionary<string, string> NonTextColumns(string path)
    {
        try
        {
            return NonTextColumnsAsync(path).AsTask().GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is not EvaluationException)
        {
            throw new EvaluationException($"{path}: not a readable Parquet file ({e.Message.Split('\n')[0]})");
        }
    }

    private static async ValueTask<Dictionary<string, string>> NonTextColumnsAsync(string path)
    {
        await using var stream = File.OpenRead(path);
        await using var reader = await ParquetReader.CreateAsync(stream);
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var f in reader.Schema.Fields)
        {
            string? type = f switch
            {
                ListField { Item: DataField item } => TextType(item.ClrType) ? null : "list of " + TypeName(item.ClrType),
                DataField { IsArray: true } plain => TextType(plain.ClrType) ? null : "list of " + TypeName(plain.ClrType),
                DataField plain => TextType(plain.ClrType) ? null : TypeName(plain.ClrType),
                _ => f.SchemaType.ToString().ToLowerInvariant(),
            };
            if (type is not null) result[f.Name] = type;
        }
        return result;
    }

    /// <summary>A column's value type as Arrow and pandas name it.</summary>
    private static string TypeName(Type t) =>
        t == typeof(int) ? "int32" : t == typeof(long) ? "int64" : t == typeof(short) ? "int16" : t == typeof(sbyte) ? "int8"
        : t == typeof(byte) ? "uint8" : t == typeof(ushort) ? "uint16" : t == typeof(uint) ? "uint32" : t == typeof(ulong) ? "uint64"
        : t == typeof(float) ? "float" : t == typeof(double) ? "double" : t == typeof(bool) ? "bool" : t == typeof(byte[]) ? "binary"
        : t.Name.ToLowerInvariant();

    private static async ValueTask<List<string>> TextListColumnsAsync(string path)
    {
        await using var stream = File.OpenRead(path);
        await using var reader = await ParquetReader.CreateAsync(stream);
        return [.. reader.Schema.Fields.Where(f => f switch
        {
            ListField { Item: DataField item } => TextType(item.ClrType),
            DataField plain => plain.IsArray && TextType(plain.ClrType),
            _ => false,
        }).Select(f => f.Name)];
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

    private static async ValueTask<(List<string>, List<(int, string?[])>)> ReadAsync(string path, bool textLists, Func<string, bool>? nullItems)
    {
        await using var stream = File.OpenRead(path);
        await using var reader = await ParquetReader.CreateAsync(stream);
        var fields = reader.Schema.Fields;
        var data = new List<DataField>();
        foreach (var f in fields)
        {
            // A LIST column is read through its element; a legacy repeated column is its own element.
            var d = f switch
            {
                ListField { Item: DataField item } when NumberType(item.ClrType) || (textLists && TextType(item.ClrType)) => item,
                DataField plain when !plain.IsArray || NumberType(plain.ClrType) || (textLists && TextType(plain.ClrType)) => plain,
                _ => null,
            };
            if (d is null || d.MaxRepetitionLevel > 1)
                throw new EvaluationException($"{path}: column '{f.Name}' is a {f.SchemaType.ToString().ToLowerInvariant()} column; only text and number columns, and lists of numbers (or of texts, for listwise rows), are read");
            data.Add(d);
        }
        var header = fields.Select(f => f.Name).ToList();
        var rows = new List<(int, string?[])>();
        for (int g = 0; g < reader.RowGroupCount; g++)
        {
            using var group = reader.OpenRowGroupReader(g);
            int n = checked((int)group.RowCount);
            var columns = new string?[data.Count][];
            for (int c = 0; c < data.Count; c++) columns[c] = await ReadColumn(group, data[c], n, path, nullItems?.Invoke(header[c]) == true);
            for (int r = 0; r < n; r++)
            {
                var values = new string?[data.Count];
                for (int c = 0; c < data.Count; c++) values[c] = columns[c][r];
                rows.Add((rows.Count + 1, values));
            }
        }
        return (header, rows);
    }

    private static async ValueTask<string?[]> ReadColumn(ParquetRowGroupReader group, DataField field, int n, string path, bool nullItems)
    {
        Type t = field.ClrType;
        if (field.MaxRepetitionLevel == 1) return await Lists(group, field, n, path, nullItems);
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

    /// <summary>Whether a column of this CLR type is read as text.</summary>
    private static bool TextType(Type t) => t == typeof(string) || t == typeof(ReadOnlyMemory<char>);

    /// <summary>Whether a column of this CLR type is read as numbers.</summary>
    private static bool NumberType(Type t) =>
        t == typeof(float) || t == typeof(double) || t == typeof(int) || t == typeof(long) || t == typeof(short) || t == typeof(sbyte) || t == typeof(byte);

    /// <summary>
    /// A list-of-numbers (or list-of-texts) column, row by row as JSON text: the values stitched back into rows by their
    /// repetition levels (0 starts a row), a value present where the definition level is the field's maximum. A null
    /// list is missing; a null element makes the row an error naming it, or is JSON's <c>null</c> with <paramref name="nullItems"/>.
    /// </summary>
    private static async ValueTask<string?[]> Lists(ParquetRowGroupReader group, DataField field, int n, string path, bool nullItems)
    {
        using var raw = await group.ReadRawColumnDataBaseAsync(field);
        string[] items = raw switch
        {
            RawColumnData<ReadOnlyMemory<char>> c => [.. c.Values.ToArray().Select(v => JsonSerializer.Serialize(v.ToString()))],
            RawColumnData<float> c => Format(c.Values.ToArray().Select(v => (double)v)),
            RawColumnData<double> c => Format(c.Values.ToArray()),
            RawColumnData<int> c => Format(c.Values.ToArray().Select(v => (double)v)),
            RawColumnData<long> c => Format(c.Values.ToArray().Select(v => (double)v)),
            RawColumnData<short> c => Format(c.Values.ToArray().Select(v => (double)v)),
            RawColumnData<sbyte> c => Format(c.Values.ToArray().Select(v => (double)v)),
            RawColumnData<byte> c => Format(c.Values.ToArray().Select(v => (double)v)),
            _ => throw new EvaluationException($"{path}: column '{field.Path}' holds {field.ClrType.Name} lists; only lists of numbers or texts are read"),
        };
        var rep = raw.RepetitionLevels.ToArray();
        var def = raw.DefinitionLevels.ToArray();
        var rows = new string?[n];
        var current = new List<string>();
        int row = -1, next = 0;
        bool present = false;
        void Close()
        {
            if (row >= 0 && row < n) rows[row] = present ? "[" + string.Join(",", current) + "]" : null;
        }
        for (int i = 0; i < rep.Length; i++)
        {
            if (rep[i] == 0)
            {
                Close();
                row++;
                current.Clear();
                present = def[i] > 0 || field.MaxDefinitionLevel == 0; // 0: the whole list is null
            }
            if (def[i] == field.MaxDefinitionLevel) current.Add(items[next++]);
            else if (def[i] == field.MaxDefinitionLevel - 1 && field.IsNullable && nullItems) current.Add("null");
            else if (def[i] == field.MaxDefinitionLevel - 1 && field.IsNullable)
                throw new EvaluationException($"{path}: column '{field.Path}' row {row + 1} holds a null inside its list");
        }
        Close();
        return rows;
    }

    private static string[] Format(IEnumerable<double> values) => [.. values.Select(v => v.ToString("R", CultureInfo.InvariantCulture))];

    // A required column is read as plain values: Parquet.Net 6.1's nullable read takes its definition levels from the
    // shared array pool and leaves them unfilled when the column has none, so a stale negative int made a value null.
    private static async ValueTask<string?[]> Numbers<T>(ParquetRowGroupReader group, DataField field, int n, Func<T, string> format)
        where T : struct
    {
        if (field.MaxDefinitionLevel == 0)
        {
            var plain = new T[n];
            await group.ReadAsync<T>(field, plain.AsMemory());
            return [.. plain.Select(format)];
        }
        var values = new T?[n];
        await group.ReadAsync<T>(field, values.AsMemory());
        return [.. values.Select(v => v is { } x ? format(x) : null)];
    }
}
