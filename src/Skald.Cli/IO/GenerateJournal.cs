using System.Text.Json;
using Skald.Data.IO;
using Skald.Models.Generation;

namespace Skald.Cli.IO;

/// <summary>
/// The resume journal of a decoder generation run (<c>skald generate</c>, a pipeline answer stage): a header line
/// naming the run (what determines its output: input, model, adapters, options; <see cref="RunFingerprint"/>), then
/// one <c>{"row", "ids", "text", "finish_reason", "prompt_tokens"}</c> line per finished input row, a batch's rows
/// appended with one write and flushed to disk (<see cref="JournalFile"/>, which also cuts a line torn by a kill). The
/// file is created at the first append and deleted once the output is written.
/// </summary>
internal sealed class GenerateJournal : IDisposable
{
    private const string Kind = "skald generate";
    private const string NotAJournal = "not a journal of skald generate";
    private static readonly JsonWriterOptions Json = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly JournalFile file;
    private readonly IReadOnlyList<(string Key, string Value)> run;
    private bool hasHeader;

    private GenerateJournal(JournalFile file, IReadOnlyList<(string Key, string Value)> run, bool hasHeader, Dictionary<int, GenerationResult> rows)
    {
        this.file = file;
        this.run = run;
        this.hasHeader = hasHeader;
        Rows = rows;
    }

    /// <summary>The journal file.</summary>
    public string Path => file.Path;

    /// <summary>The rows finished by earlier runs, by input index.</summary>
    public IReadOnlyDictionary<int, GenerationResult> Rows { get; }

    /// <summary>
    /// Opens the journal at <paramref name="path"/> for the run <paramref name="run"/> (key, value pairs). A journal of
    /// another run (a header that differs, or a file that is not such a journal) is one line telling to delete it or
    /// to pass another <paramref name="option"/>; with <paramref name="restart"/> (a journal the caller owns, as a
    /// pipeline stage's) it is deleted instead, <paramref name="restart"/> told why, and the run starts over.
    /// </summary>
    public static GenerateJournal Open(string path, IReadOnlyList<(string Key, string Value)> run, string option = "--journal",
        Action<string>? restart = null)
    {
        var file = JournalFile.Open(path, create: false);
        string? mismatch = file.Lines.Count > 0 ? Mismatch(file.Lines[0], run)
            : StartsLikeAHeader(file.Tail) ? null // empty, or a header torn by a kill: a new journal
            : NotAJournal; // a file of one unterminated line that is not a journal is not cut
        if (mismatch is null && file.Lines.Count == 0) return new GenerateJournal(file, run, false, []);
        if (mismatch is not null)
        {
            file.Dispose();
            if (restart is null)
                throw new InputException(mismatch == NotAJournal ? $"{path}: {mismatch} (its first line is no such header); pass another {option}"
                    : $"{path}: {mismatch}; delete it to start over, or pass another {option}");
            File.Delete(path);
            restart($"{path}: {mismatch}; starting over");
            return new GenerateJournal(JournalFile.Open(path, create: false), run, false, []);
        }
        var rows = new Dictionary<int, GenerationResult>();
        foreach (var line in file.Lines.Skip(1))
        {
            if (ReadRow(line) is { } r) rows[r.Row] = r.Result;
        }
        return new GenerateJournal(file, run, true, rows);
    }

    /// <summary>
    /// What determines a run's output, for the header: the input file's bytes (<paramref name="input"/>, a hash), the
    /// model and adapter folders (<see cref="RunFingerprint.OfFolder"/>), the decoding options (the sampling ones only
    /// when sampling), the batch size (a row's sums depend on its batch mates), --quantize and --weights; and only when
    /// asked for (so the journals of runs without them read as before), the log-probabilities and the output format, a
    /// JSON schema by its file's hash (<paramref name="schema"/>).
    /// </summary>
    public static List<(string Key, string Value)> RunOf(string input, string folder, IReadOnlyList<string> adapterFolders,
        GenerationOptions options, int batchSize, string? quantize, string? weights, string? schema = null)
    {
        var ci = System.Globalization.CultureInfo.InvariantCulture;
        var run = new List<(string, string)>
        {
            ("input", input),
            ("model", RunFingerprint.OfFolder(folder)),
            ("adapters", string.Join(",", adapterFolders.Select(RunFingerprint.OfFolder))),
            ("max_new_tokens", options.MaxNewTokens.ToString(ci)),
            ("temperature", options.Temperature.ToString("R", ci)),
            ("repetition_penalty", options.RepetitionPenalty.ToString("R", ci)),
            ("stop", JsonSerializer.Serialize(options.StopStrings)),
            ("batch_size", batchSize.ToString(ci)),
            ("quantize", quantize ?? "none"),
            ("weights", weights ?? "f32"),
        };
        if (options.Sampling)
        {
            run.Add(("top_k", options.TopK.ToString(ci)));
            run.Add(("top_p", options.TopP.ToString("R", ci)));
            run.Add(("seed", options.Seed.ToString(ci)));
        }
        if (options.LogProbs is { } top) run.Add(("logprobs", top.ToString(ci)));
        if (options.Format == OutputFormat.JsonObject) run.Add(("format", "json_object"));
        if (options.Format == OutputFormat.JsonSchema) run.Add(("format", "json_schema " + (schema ?? "")));
        return run;
    }

    /// <summary>Records the results of input rows <paramref name="rows"/> (the header first, in a new file): one write, flushed to disk.</summary>
    public void Append(IReadOnlyList<int> rows, IReadOnlyList<GenerationResult> results)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, Json))
        {
            if (!hasHeader)
            {
                w.WriteStartObject();
                w.WriteString("journal", Kind);
                foreach (var (key, value) in run) w.WriteString(key, value);
                w.WriteEndObject();
                w.Flush();
                ms.Write("\n"u8);
                w.Reset();
            }
            for (int b = 0; b < rows.Count; b++)
            {
                var r = results[b];
                w.WriteStartObject();
                w.WriteNumber("row", rows[b]);
                w.WriteStartArray("ids");
                foreach (int id in r.Ids) w.WriteNumberValue(id);
                w.WriteEndArray();
                w.WriteString("text", r.Text);
                w.WriteString("finish_reason", Reason(r.FinishReason));
                w.WriteNumber("prompt_tokens", r.PromptTokens);
                if (r.LogProbs is { } entries) WriteLogProbs(w, entries);
                w.WriteEndObject();
                w.Flush();
                ms.Write("\n"u8);
                w.Reset();
            }
        }
        file.Append(ms.ToArray());
        hasHeader = true;
    }

    /// <summary>The output's name for a finish reason (<c>eos</c>, <c>stop</c>, <c>length</c>).</summary>
    public static string Reason(FinishReason reason) => reason.ToString().ToLowerInvariant();

    /// <summary>Closes and deletes the journal (its rows are in the output now).</summary>
    public void Delete() => file.Delete();

    /// <inheritdoc/>
    public void Dispose() => file.Dispose();

    // Whether the bytes could be the start of a header (what Append writes first).
    private static bool StartsLikeAHeader(byte[] bytes)
    {
        var start = "{\"journal\":\"skald generate\","u8;
        int n = Math.Min(bytes.Length, start.Length);
        return bytes.AsSpan(0, n).SequenceEqual(start[..n]);
    }

    // Why the header line does not belong to the run, or null when it does.
    private static string? Mismatch(byte[] line, IReadOnlyList<(string Key, string Value)> run)
    {
        Dictionary<string, string?> header;
        try
        {
            using var doc = JsonDocument.Parse(line);
            if (doc.RootElement.ValueKind != JsonValueKind.Object) return NotAJournal;
            header = doc.RootElement.EnumerateObject().ToDictionary(p => p.Name,
                p => p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() : null, StringComparer.Ordinal);
        }
        catch (JsonException)
        {
            return NotAJournal;
        }
        if (!header.TryGetValue("journal", out var kind) || kind != Kind) return NotAJournal;
        var differ = run.Where(f => !header.TryGetValue(f.Key, out var v) || v != f.Value).Select(f => f.Key)
            .Concat(header.Keys.Where(k => k != "journal" && run.All(f => f.Key != k))).ToList();
        return differ.Count == 0 ? null : $"a journal of another run (its {string.Join(", ", differ)} differ from this run's)";
    }

    private static (int Row, GenerationResult Result)? ReadRow(byte[] line)
    {
        try
        {
            using var doc = JsonDocument.Parse(line);
            var e = doc.RootElement;
            int[] ids = [.. e.GetProperty("ids").EnumerateArray().Select(x => x.GetInt32())];
            var reason = e.GetProperty("finish_reason").GetString() switch
            {
                "eos" => FinishReason.Eos,
                "stop" => FinishReason.Stop,
                "length" => FinishReason.Length,
                _ => (FinishReason?)null,
            };
            string? text = e.GetProperty("text").GetString();
            if (reason is null || text is null) return null;
            var logProbs = e.TryGetProperty("logprobs", out var lp) ? ReadLogProbs(lp) : null;
            if (logProbs is not null && logProbs.Count != ids.Length) return null;
            return (e.GetProperty("row").GetInt32(), new GenerationResult(ids, text, reason.Value, e.GetProperty("prompt_tokens").GetInt32(), logProbs));
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or KeyNotFoundException or FormatException or IndexOutOfRangeException)
        {
            return null; // a line that is not a row (edited by hand, say): its batch is decoded again
        }
    }

    // A row's log-probabilities: [[id, logprob, [[id, logprob], ...]], ...], each value as the output writes it (finite:
    // −∞ as −9999), so a resumed run writes the bytes an uninterrupted one does.
    private static void WriteLogProbs(Utf8JsonWriter w, IReadOnlyList<TokenLogProbs> entries)
    {
        w.WriteStartArray("logprobs");
        foreach (var entry in entries)
        {
            w.WriteStartArray();
            w.WriteNumberValue(entry.Chosen.Id);
            w.WriteNumberValue(TokenLogProbsJson.Finite(entry.Chosen.LogProb));
            w.WriteStartArray();
            foreach (var t in entry.Top)
            {
                w.WriteStartArray();
                w.WriteNumberValue(t.Id);
                w.WriteNumberValue(TokenLogProbsJson.Finite(t.LogProb));
                w.WriteEndArray();
            }
            w.WriteEndArray();
            w.WriteEndArray();
        }
        w.WriteEndArray();
    }

    private static List<TokenLogProbs> ReadLogProbs(JsonElement e)
    {
        static TokenLogProb Token(JsonElement pair) => new(pair[0].GetInt32(), pair[1].GetSingle());
        return [.. e.EnumerateArray().Select(x => new TokenLogProbs(Token(x), [.. x[2].EnumerateArray().Select(Token)]))];
    }
}
