using System.Text.Json;

namespace Skald.Cli.Tests;

/// <summary>
/// <c>skald evaluate --model bm25 --language auto</c>: each corpus document stemmed in the language guessed for it, as
/// <c>index build --language auto</c> does (the scores themselves: <c>MixedLanguageBm25ModelTests</c>).
/// </summary>
public sealed class EvaluateAutoStemmingTests
{
    [Fact]
    public void AutoFindsADanishDocumentThatOneNorwegianStemmerMisses()
    {
        // Danish "fakturaerne" is "faktura" by the Danish stemmer, "fakturaern" by the Norwegian one; the query's "fakturaer" is "faktura" by both
        string task = BeirFolder.Write(
            "{\"_id\": \"d1\", \"text\": \"Fakturaerne sendes i morgen, og hvis nogen ikke har betalt efter fjorten dage, bliver der sendt en rykker. Hvad der sker derefter, ved vi ikke meget om.\"}\n" +
            "{\"_id\": \"d2\", \"text\": \"Bilene står ute og blir vasket i morgen, men det er ikke noe vi kan gjøre noe med.\"}\n",
            "{\"_id\": \"q1\", \"text\": \"fakturaer\"}\n",
            "query-id\tcorpus-id\tscore\nq1\td1\t1\n");
        JsonElement Evaluate(string language)
        {
            var r = InProcessSkald.Capture("evaluate", "--model", "bm25", "--task", task, "--language", language, "-q");
            Assert.True(r.ExitCode == 0, r.Stderr);
            return JsonDocument.Parse(r.Stdout).RootElement;
        }
        var auto = Evaluate("auto");
        Assert.Equal(1.0, auto.GetProperty("main_score").GetDouble(), 6);
        Assert.Equal("snowball per document", auto.GetProperty("metadata").GetProperty("model.stemming").GetString());
        Assert.Equal(0.0, Evaluate("nb").GetProperty("main_score").GetDouble(), 6);
    }
}
