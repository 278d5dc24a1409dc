using System.Globalization;
using System.Text;
using Skald.Retrieval.Quantization;

namespace Skald.Cli.IO;

/// <summary>
/// Writes embeddings as <c>.jsonl</c> (one JSON array per line) or <c>.npy</c> (float32 [N, D]); quantized ones as
/// integer arrays or int8 / uint8 .npy (binary: [N, D/8] packed bytes).
/// </summary>
internal static class EmbeddingOutput
{
    public static void CheckExtension(string path)
    {
        string ext = Path.GetExtension(path).ToLowerInvariant();
        if (ext != ".jsonl" && ext != ".npy")
            throw new InputException($"{path}: unsupported output type '{ext}' (use .jsonl or .npy)");
    }

    public static void Write(string path, float[][] rows, int dim)
    {
        if (Path.GetExtension(path).Equals(".npy", StringComparison.OrdinalIgnoreCase))
            AtomicFile.Write(path, s => WriteNpy(s, rows, dim));
        else
            AtomicFile.Write(path, s => WriteJsonl(s, rows));
    }

    private static void WriteJsonl(Stream s, float[][] rows)
    {
        using var w = new StreamWriter(s, new UTF8Encoding(false), 1 << 16, leaveOpen: true);
        var sb = new StringBuilder();
        foreach (var row in rows)
        {
            sb.Clear().Append('[');
            for (int i = 0; i < row.Length; i++)
            {
                if (i > 0) sb.Append(',');
                sb.Append(row[i].ToString("R", CultureInfo.InvariantCulture));
            }
            sb.Append(']');
            w.Write(sb);
            w.Write('\n');
        }
    }

    /// <summary>
    /// A sparse encoder's embeddings as .jsonl: one object per line, <c>{"indices": [...], "values": [...], "tokens": [...]}</c>
    /// (the non-zero vocabulary ids ascending, their weights, and the tokens they are, as SparseEncoder.decode names them);
    /// without <paramref name="token"/> (a CSR model's latents are no tokens) no "tokens".
    /// </summary>
    public static void WriteSparse(string path, IReadOnlyList<Skald.Models.SparseEmbedding> rows, Func<int, string?>? token) =>
        WriteObjects(path, rows, (sb, row) => AppendSparse(sb, row, token));

    /// <summary>One sparse embedding's object (<see cref="WriteSparse"/>) appended to <paramref name="sb"/>.</summary>
    private static void AppendSparse(StringBuilder sb, Skald.Models.SparseEmbedding row, Func<int, string?>? token)
    {
        sb.Append("{\"indices\":[").AppendJoin(',', row.Indices.Select(i => i.ToString(CultureInfo.InvariantCulture)))
            .Append("],\"values\":[").AppendJoin(',', row.Values.Select(v => v.ToString("R", CultureInfo.InvariantCulture))).Append(']');
        if (token is not null)
            sb.Append(",\"tokens\":").Append(System.Text.Json.JsonSerializer.Serialize(row.Indices.Select(i => token(i) ?? "").ToArray()));
        sb.Append('}');
    }

    /// <summary>Each row's JSON object (written by <paramref name="append"/>) on a line of its own, atomically.</summary>
    private static void WriteObjects<T>(string path, IReadOnlyList<T> rows, Action<StringBuilder, T> append) =>
        AtomicFile.Write(path, s =>
        {
            using var w = new StreamWriter(s, new UTF8Encoding(false), 1 << 16, leaveOpen: true);
            var sb = new StringBuilder();
            foreach (var row in rows)
            {
                append(sb.Clear(), row);
                w.Write(sb);
                w.Write('\n');
            }
        });

    /// <summary>
    /// Token vectors (BGE-M3's ColBERT output) as .jsonl: one object per text, <c>{"ids": [...], "tokens": [...],
    /// "vectors": [[...], ...]}</c>, a vector per token.
    /// </summary>
    public static void WriteTokenVectors(string path, IReadOnlyList<Skald.Models.LateInteraction.TokenVectors> rows, Func<int, string?> token) =>
        WriteObjects(path, rows, (sb, row) => AppendTokenVectors(sb, row, token));

    /// <summary>One text's token vectors' object (<see cref="WriteTokenVectors"/>) appended to <paramref name="sb"/>.</summary>
    private static void AppendTokenVectors(StringBuilder sb, Skald.Models.LateInteraction.TokenVectors row, Func<int, string?> token)
    {
        sb.Append("{\"ids\":[").AppendJoin(',', row.TokenIds.Select(i => i.ToString(CultureInfo.InvariantCulture)))
            .Append("],\"tokens\":").Append(System.Text.Json.JsonSerializer.Serialize(row.TokenIds.Select(i => token(i) ?? "").ToArray()))
            .Append(",\"vectors\":[");
        for (int t = 0; t < row.Count; t++)
        {
            sb.Append(t > 0 ? ",[" : "[").AppendJoin(',', row.Values.Skip(t * row.Dimension).Take(row.Dimension).Select(v => v.ToString("R", CultureInfo.InvariantCulture))).Append(']');
        }
        sb.Append("]}");
    }

    /// <summary>
    /// BGE-M3's three outputs of each text as .jsonl: <c>{"dense": [...], "sparse": {"indices", "values", "tokens"},
    /// "colbert": {"ids", "tokens", "vectors"}}</c>, the objects <see cref="WriteSparse"/> and
    /// <see cref="WriteTokenVectors"/> write, keyed by the names of
    /// <c>--bge-m3</c>'s modes (FlagEmbedding's <c>dense_vecs</c>, <c>lexical_weights</c> and <c>colbert_vecs</c>).
    /// </summary>
    public static void WriteBgeM3(string path, IReadOnlyList<Skald.Models.BgeM3.BgeM3Output> rows, Func<int, string?> token) =>
        WriteObjects(path, rows, (sb, row) =>
        {
            sb.Append("{\"dense\":[").AppendJoin(',', row.Dense!.Select(v => v.ToString("R", CultureInfo.InvariantCulture))).Append("],\"sparse\":");
            AppendSparse(sb, row.Sparse!, token);
            sb.Append(",\"colbert\":");
            AppendTokenVectors(sb, row.Colbert!, token);
            sb.Append('}');
        });

    /// <summary>float32 [N, D] as .npy.</summary>
    internal static void WriteNpy(Stream s, float[][] rows, int dim)
    {
        NpyFile.WriteHeader(s, "<f4", rows.Length, dim);
        foreach (var row in rows) s.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(row.AsSpan()));
    }

    /// <summary>
    /// Quantized embeddings: .npy int8 (int8, binary) or uint8 (uint8, ubinary), [N, bytes per row], as
    /// sentence-transformers' quantize_embeddings returns them; .jsonl one array of those integers per line.
    /// </summary>
    public static void Write(string path, QuantizedEmbeddings q)
    {
        bool signed = q.Precision is EmbeddingPrecision.Int8 or EmbeddingPrecision.Binary;
        if (Path.GetExtension(path).Equals(".npy", StringComparison.OrdinalIgnoreCase))
            AtomicFile.Write(path, s =>
            {
                NpyFile.WriteHeader(s, signed ? "|i1" : "|u1", q.Rows, q.RowBytes);
                s.Write(q.Data.AsSpan(0, q.Rows * q.RowBytes));
            });
        else
            AtomicFile.Write(path, s =>
            {
                using var w = new StreamWriter(s, new UTF8Encoding(false), 1 << 16, leaveOpen: true);
                for (int r = 0; r < q.Rows; r++)
                {
                    var row = q.Row(r);
                    w.Write('[');
                    for (int i = 0; i < row.Length; i++)
                    {
                        if (i > 0) w.Write(',');
                        w.Write((signed ? (sbyte)row[i] : (int)row[i]).ToString(CultureInfo.InvariantCulture));
                    }
                    w.Write("]\n");
                }
            });
    }

    /// <summary>Calibration ranges as sentence-transformers' <c>ranges</c> array: float32 [2, D], minima then maxima.</summary>
    public static void WriteRanges(string path, QuantizationRanges ranges) =>
        AtomicFile.Write(path, s =>
        {
            NpyFile.WriteHeader(s, "<f4", 2, ranges.Dimension);
            foreach (var row in new[] { ranges.Minima, ranges.Maxima })
                foreach (float v in row) s.Write(BitConverter.GetBytes(v));
        });
}
