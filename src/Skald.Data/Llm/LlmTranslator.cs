using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;

namespace Skald.Data.Llm;

/// <summary>
/// Translation through an OpenAI-compatible chat endpoint, with the question generator's retries, limits and resume:
/// each distinct text is asked for once, and its translation recorded in a <see cref="GenerationJournal"/> (keyed by
/// a fingerprint of model, languages and text) the moment it arrives, so a stopped run resumes where it was.
/// </summary>
public static class LlmTranslator
{
    private static readonly Dictionary<string, Dictionary<string, string>> Names = new(StringComparer.Ordinal)
    {
        ["nb"] = new() { ["nb"] = "bokmål", ["nn"] = "nynorsk", ["da"] = "dansk", ["sv"] = "svensk" },
        ["nn"] = new() { ["nb"] = "bokmål", ["nn"] = "nynorsk", ["da"] = "dansk", ["sv"] = "svensk" },
        ["da"] = new() { ["nb"] = "norsk bokmål", ["nn"] = "nynorsk", ["da"] = "dansk", ["sv"] = "svensk" },
        ["sv"] = new() { ["nb"] = "norskt bokmål", ["nn"] = "nynorska", ["da"] = "danska", ["sv"] = "svenska" },
    };

    /// <summary>The (system, user) messages asking for a translation of <paramref name="text"/>.</summary>
    public static (string System, string User) Prompt(string from, string to, string text)
    {
        if (!Names.TryGetValue(to, out var names) || !names.TryGetValue(from, out var source) || from == to)
            throw new DataException($"unknown language pair {from} → {to} (nb, nn, da and sv to one another)");
        string target = names[to];
        var (system, user) = to switch
        {
            "nn" => ($"Du omset tekst frå {source} til {target}.", $"Omset teksten til {target}. Svar berre med omsetjinga.\n\nTekst:\n{text}"),
            "da" => ($"Du oversætter tekst fra {source} til {target}.", $"Oversæt teksten til {target}. Svar kun med oversættelsen.\n\nTekst:\n{text}"),
            "sv" => ($"Du översätter text från {source} till {target}.", $"Översätt texten till {target}. Svara bara med översättningen.\n\nText:\n{text}"),
            _ => ($"Du oversetter tekst fra {source} til {target}.", $"Oversett teksten til {target}. Svar bare med oversettelsen.\n\nTekst:\n{text}"),
        };
        if (!text.Contains('⟦')) return (system, user);
        string keep = to switch // the markers stand for code and placeholders (ShieldedText): they must come back as they are
        {
            "nn" => " Merke som ⟦0⟧ skal stå uendra.",
            "da" => " Markører som ⟦0⟧ skal stå uændret.",
            "sv" => " Markörer som ⟦0⟧ ska stå oförändrade.",
            _ => " Merker som ⟦0⟧ skal stå uendret.",
        };
        return (system + keep, user);
    }

    /// <summary>
    /// The translations of <paramref name="texts"/> from <paramref name="from"/> to <paramref name="to"/>, in order,
    /// asked of <paramref name="settings"/>' endpoint through a client of this call's own (see the overload taking a
    /// client, which a run of more than one call shares).
    /// </summary>
    public static Task<List<string>> TranslateAsync(IReadOnlyList<string> texts, string from, string to, LlmSettings settings,
        string journalPath, Action<string>? progress = null, CancellationToken cancel = default, CancellationToken stop = default)
    {
        Prompt(from, to, ""); // an unknown pair fails before any request
        return TranslateAsync(texts, from, to, new LlmQuestionClient(settings, stop), journalPath, progress, cancel, stop);
    }

    /// <summary>
    /// The translations of <paramref name="texts"/> from <paramref name="from"/> to <paramref name="to"/>, in order,
    /// asked of <paramref name="client"/>'s endpoint and kept in the journal at <paramref name="journalPath"/> (texts
    /// already there are not asked again), with <paramref name="progress"/> lines. <paramref name="cancel"/> stops
    /// everything, requests in flight included; <paramref name="stop"/> (Ctrl-C, the token the client was made with)
    /// asks no more texts, lets those asked finish into the journal, then throws <see cref="OperationCanceledException"/>.
    /// A run that makes more than one call (a data set's pieces are translated in a second call) passes the same client
    /// to each: one request budget for the run, and one connection that knows the endpoint has answered (a server
    /// restarting during the second call is waited for, not taken for a wrong address).
    /// </summary>
    public static async Task<List<string>> TranslateAsync(IReadOnlyList<string> texts, string from, string to, LlmQuestionClient client,
        string journalPath, Action<string>? progress = null, CancellationToken cancel = default, CancellationToken stop = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        Prompt(from, to, ""); // an unknown pair fails before any request
        var settings = client.Settings;
        using var journal = GenerationJournal.Open(journalPath);
        var keys = texts.Select(t => Fingerprint(settings.Model, from, to, t)).ToArray();
        var done = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, entry) in journal.Entries)
            if (entry.Questions.Count == 1) done[key] = entry.Questions[0];
        var todo = keys.Select((k, i) => (Key: k, Text: texts[i])).Where(x => !done.ContainsKey(x.Key)).DistinctBy(x => x.Key).ToList();
        progress?.Invoke($"llm: {texts.Count - todo.Count} of {texts.Count} texts already in {journalPath}; translating {todo.Count}");
        var clock = Stopwatch.StartNew();
        int finished = 0;
        var gate = new object();
        await StartedRequests.ForEachAsync(todo, settings.Concurrency,
            async (item, ct) =>
            {
                var (system, user) = Prompt(from, to, item.Text);
                string reply = Clean(await client.CompleteAsync(system, user, "a text", r => Clean(r).Length > 0, ct));
                journal.Append(new JournalEntry(item.Key, item.Key, [reply]));
                lock (gate)
                {
                    done[item.Key] = reply;
                    if (progress is not null && (++finished % 50 == 0 || finished == todo.Count))
                        progress($"llm: {finished}/{todo.Count} texts, {client.Requests} requests, {client.RetryCounts}, ETA {TimeSpan.FromSeconds(clock.Elapsed.TotalSeconds / finished * (todo.Count - finished)):hh\\:mm\\:ss}");
                }
            }, cancel, stop);
        return [.. keys.Select(k => done[k])];
    }

    /// <summary>The reply without a leading label line ("Oversettelse:") or surrounding quotes.</summary>
    public static string Clean(string reply)
    {
        var lines = reply.Replace("\r", "").Trim().Split('\n').ToList();
        if (lines.Count > 1 && lines[0].TrimEnd().EndsWith(':')) lines.RemoveAt(0);
        return string.Join("\n", lines).Trim().Trim('"', '“', '”', '«', '»').Trim();
    }

    private static string Fingerprint(string model, string from, string to, string text) =>
        "t" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes($"{model}\n{from}\n{to}\n{text}")))[..24].ToLowerInvariant();
}
