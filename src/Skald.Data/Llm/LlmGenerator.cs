using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Skald.Data.Generation;
using Skald.Data.Ingest;
using Skald.Data.Languages;
using Skald.Retrieval.Models;

namespace Skald.Data.Llm;

/// <summary>
/// Questions from a language model for every chunk (the llama_index / LLM2Vec recipe): each chunk is asked for with a
/// prompt in its document's language, with bounded concurrency, and recorded in a <see cref="GenerationJournal"/> the
/// moment its reply is parsed, so a run that is stopped (even killed) and started again asks only for the chunks that
/// are not in the journal. The corpus is the chunks; the questions go through the <see cref="PairFilter"/> and a
/// language check (a question in English, or Swedish for a Norwegian/Danish passage and the reverse, is dropped).
/// A passage is what <c>skald index build</c> makes of the chunk: its title (<see cref="Chunk.Title"/>: the section
/// heading, and the caption of a table whose rows it starts with) as the BEIR title and its text, so the copy filter,
/// pairs.jsonl and the evaluation see "title text" as the index embeds it (<see cref="CorpusDocument.FullText"/>; the
/// passage-length floor counts the text alone, <see cref="PairFilter"/>), and the model is given the title as context
/// in the prompt.
/// </summary>
public static class LlmGenerator
{
    /// <summary>Generates questions for <paramref name="ingest"/>'s chunks.</summary>
    /// <param name="ingest">Documents and chunks.</param>
    /// <param name="settings">Endpoint, model and limits.</param>
    /// <param name="filter">Pair filters.</param>
    /// <param name="journalPath">The journal file (created or resumed).</param>
    /// <param name="progress">Receives a progress line now and then (null: silent).</param>
    /// <param name="cancel">Stops the run (finished chunks stay in the journal).</param>
    /// <param name="stop">Asks no more chunks; those asked finish and are journaled, then <see cref="OperationCanceledException"/> (Ctrl-C).</param>
    public static async Task<GeneratedSet> GenerateAsync(IngestResult ingest, LlmSettings settings, FilterOptions filter,
        string journalPath, Action<string>? progress = null, CancellationToken cancel = default, CancellationToken stop = default)
    {
        var languages = ingest.Documents.ToDictionary(d => d.Source, d => settings.Language ?? PromptLanguage(d.Text), StringComparer.Ordinal);
        using var journal = GenerationJournal.Open(journalPath);
        var client = new LlmQuestionClient(settings, stop);
        var done = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        var todo = new List<(Chunk Chunk, string Language, string Fingerprint)>();
        foreach (var c in ingest.Chunks)
        {
            string lang = languages[c.Source], fp = Fingerprint(settings, lang, c.Title, c.Text);
            if (journal.Entries.TryGetValue(c.Id, out var e) && e.Fingerprint == fp) done[c.Id] = e.Questions;
            else todo.Add((c, lang, fp));
        }
        progress?.Invoke($"llm: {done.Count} of {ingest.Chunks.Count} chunks already in {journalPath}; asking {settings.Model} at {settings.Endpoint} for {todo.Count}");
        var clock = Stopwatch.StartNew();
        int finished = 0;
        long lastReport = 0;
        var gate = new object();
        await StartedRequests.ForEachAsync(todo, settings.Concurrency,
            async (item, ct) =>
            {
                var questions = await client.AskAsync(item.Chunk.Title, item.Chunk.Text, item.Language, item.Chunk.Id, ct);
                journal.Append(new JournalEntry(item.Chunk.Id, item.Fingerprint, questions));
                lock (gate)
                {
                    done[item.Chunk.Id] = questions;
                    finished++;
                    if (progress is not null && (clock.ElapsedMilliseconds - lastReport > 5000 || finished == todo.Count))
                    {
                        lastReport = clock.ElapsedMilliseconds;
                        var eta = TimeSpan.FromSeconds(clock.Elapsed.TotalSeconds / finished * (todo.Count - finished));
                        progress($"llm: {finished}/{todo.Count} chunks, {client.Requests} requests, {client.RetryCounts}, ETA {eta:hh\\:mm\\:ss}");
                    }
                }
            }, cancel, stop);
        return Build(ingest, done, languages, filter);
    }

    private static GeneratedSet Build(IngestResult ingest, Dictionary<string, IReadOnlyList<string>> done,
        Dictionary<string, string> languages, FilterOptions options)
    {
        var filter = new PairFilter(options);
        var corpus = new List<CorpusDocument>();
        var queries = new List<GeneratedQuery>();
        int wrongLanguage = 0;
        foreach (var c in ingest.Chunks)
        {
            corpus.Add(new CorpusDocument(c.Id, c.Title, c.Text));
            foreach (var q in done[c.Id])
            {
                if (!SameFamily(LanguageGuesser.Guess(q), languages[c.Source])) { wrongLanguage++; continue; }
                // a question copying the title copies what the index holds; the title is not counted in the length
                if (filter.Accept(q, c.Text, title: c.Title)) queries.Add(new GeneratedQuery($"q{queries.Count}", q, c.Id, "llm"));
            }
        }
        var dropped = filter.Dropped.ToDictionary(StringComparer.Ordinal);
        if (wrongLanguage > 0) dropped["wrong language"] = wrongLanguage;
        return new GeneratedSet(corpus, queries, dropped);
    }

    /// <summary>The prompt language for a document: its guessed language when one of nb, nn, da, sv, else Bokmål.</summary>
    public static string PromptLanguage(string text)
    {
        string guess = LanguageGuesser.Guess(text.Length > 4000 ? text[..4000] : text);
        return LlmPrompts.Languages.Contains(guess) ? guess : "nb";
    }

    private static bool SameFamily(string guess, string expected) => guess switch
    {
        "und" => true,
        "en" => false,
        "sv" => expected == "sv",
        _ => expected != "sv",
    };

    /// <summary>
    /// What a journal entry must match to be reused: model, prompt language, questions per chunk, passage and title.
    /// A chunk without a title keeps the fingerprint (and the prompt) of the journals written before headings were
    /// sent, so their answers are reused; a chunk with one is asked again, now with its title, as it is when its
    /// title changes (a title that is the heading alone keeps the fingerprint journals had before captions were sent).
    /// The title follows a unit separator, which cleaned document text never holds.
    /// </summary>
    private static string Fingerprint(LlmSettings s, string language, string title, string passage) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes($"{s.Model}\n{language}\n{s.QuestionsPerChunk}\n{passage}"
            + (title.Length == 0 ? "" : $"\u001fheading\n{title}"))))[..16].ToLowerInvariant();
}
