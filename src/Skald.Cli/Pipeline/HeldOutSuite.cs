using Skald.Evaluation.Benchmark;

namespace Skald.Cli.Pipeline;

/// <summary>
/// The suite.json a pipeline's generate stage writes beside its BEIR folder: one retrieval task over the held-out
/// queries (qrels/test.tsv), in the language of its passages, which a benchmark stage needs to stem BM25 in it and its
/// report lists per language: the languages <see cref="Commands.Index.IndexSources.GuessedLanguage"/> finds in the
/// documents the passages come from (a whole document is guessed more surely than a passage of it), most documents
/// first, comma-separated for a mixed corpus ("nb,sv", as a suite names a mixed task; BM25 then stems each passage in
/// its own); the stage's <c>language</c> when it finds none; no language when neither gives one.
/// </summary>
internal static class HeldOutSuite
{
    /// <summary>The suite file's name.</summary>
    public const string FileName = "suite.json";

    /// <summary>Writes <see cref="FileName"/> into <paramref name="folder"/> for a corpus of the <paramref name="documents"/>' passages.</summary>
    public static void Write(string folder, IEnumerable<string> documents, string? given)
    {
        string? language = Language(documents, given);
        BenchmarkRunner.WriteAtomic(Path.Combine(folder, FileName),
            "{\"name\": \"held-out\", \"description\": \"Generated queries held out from training (qrels/test.tsv)\", " +
            "\"data_root\": \".\", \"tasks\": [{\"name\": \"held-out-retrieval\", \"type\": \"retrieval\", \"path\": \".\"" +
            (language is null ? "" : $", \"language\": \"{language}\"") + "}]}\n");
    }

    /// <summary>The task's language (see <see cref="HeldOutSuite"/>), or null.</summary>
    public static string? Language(IEnumerable<string> documents, string? given)
    {
        var found = documents.Select(Commands.Index.IndexSources.GuessedLanguage).OfType<string>()
            .GroupBy(l => l, StringComparer.Ordinal).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => g.Key).ToList();
        return found.Count > 0 ? string.Join(',', found) : given;
    }
}
