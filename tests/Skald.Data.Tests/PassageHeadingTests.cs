using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Skald.Data.Generation;
using Skald.Data.Ingest;
using Skald.Data.Llm;
using Skald.Retrieval.Models;
using Reply = Skald.Tests.FakeChatServer.Reply;

namespace Skald.Data.Tests;

/// <summary>
/// <c>skald data generate</c> writes passages as <c>skald index build</c> indexes them: the chunk's section heading as
/// the BEIR title, pairs.jsonl's positive "heading text" (what the model is searched over), and the LLM is shown the
/// heading. Before, every title was empty and the prompt had no heading: a model trained on passages without headings
/// was searched over passages with them.
/// </summary>
public sealed class PassageHeadingTests
{
    private const string Canteen = "Kantinen i andre etasje";
    private const string Bikes = "Sykkelparkering om vinteren";

    /// <summary>A section of several chunks, a section of one, and a text file without headings.</summary>
    private static IngestResult Documents(string canteenHeading = Canteen)
    {
        string dir = TestPaths.NewTempDir();
        File.WriteAllText(Path.Combine(dir, "kontor.md"), $"# {canteenHeading}\n\n" +
            "Lunsjen serveres hver dag fra klokken elleve til klokken ett. Det finnes alltid en varm rett og en salatbar. " +
            "Alle retter er merket med allergener på en tavle ved kassen.\n\n" +
            "Kaffen i automaten er gratis for alle ansatte hele dagen. Frukt fylles på hver mandag og torsdag morgen. " +
            "Bestilling av mat til møter sendes til kjøkkenet senest dagen før.\n\n" +
            $"## {Bikes}\n\nStativene flyttes inn i kjelleren ved heisen i november. Piggdekk kan lånes gratis i resepsjonen.\n");
        File.WriteAllText(Path.Combine(dir, "post.txt"), "Posten hentes i resepsjonen hver dag etter lunsj. Pakker som ikke hentes innen en uke, sendes tilbake til avsenderen.\n");
        return DocumentIngest.Ingest([dir], new ChunkOptions { ChunkTokens = 25, OverlapTokens = 0 });
    }

    private static LlmSettings Settings(FakeChatServer server) => new()
    {
        Endpoint = new Uri(server.Url), Model = "fake", QuestionsPerChunk = 2, Concurrency = 2, MaxRetries = 2, Language = "nb",
        Timeout = TimeSpan.FromSeconds(30), RetryDelay = TimeSpan.FromMilliseconds(20),
    };

    private static List<JsonElement> Lines(string path) => [.. File.ReadAllLines(path).Select(l => JsonDocument.Parse(l).RootElement)];

    /// <summary>corpus.jsonl's titles by id, and pairs.jsonl's (anchor, positive) rows, of a written folder.</summary>
    private static (Dictionary<string, (string Title, string Text)> Corpus, List<(string Anchor, string Positive)> Pairs) Written(GeneratedSet set)
    {
        string folder = Path.Combine(TestPaths.NewTempDir(), "data");
        BeirWriter.Write(set, folder);
        var corpus = Lines(Path.Combine(folder, "corpus.jsonl")).ToDictionary(e => e.GetProperty("_id").GetString()!,
            e => (e.GetProperty("title").GetString()!, e.GetProperty("text").GetString()!));
        var pairs = Lines(Path.Combine(folder, "pairs.jsonl")).Select(e => (e.GetProperty("anchor").GetString()!, e.GetProperty("positive").GetString()!)).ToList();
        return (corpus, pairs);
    }

    [Fact]
    public void TheDocumentsHaveASectionOfSeveralChunksOneOfOneAndOneWithoutHeading()
    {
        var chunks = Documents().Chunks;
        Assert.True(chunks.Count(c => c.Heading == Canteen) >= 2, string.Join(" | ", chunks.Select(c => c.Heading)));
        Assert.Single(chunks, c => c.Heading == Bikes);
        Assert.Contains(chunks, c => c.Heading.Length == 0);
    }

    [Fact]
    public void IctPassagesCarryTheirHeadingAsTitleAndPairsTheirHeadingAndText()
    {
        var chunks = Documents().Chunks;
        var set = IctGenerator.Generate(chunks, new IctOptions { Filter = new FilterOptions { MinPassageWords = 1 } });
        var (corpus, pairs) = Written(set);
        foreach (var c in chunks.Where(c => c.Heading != Bikes)) Assert.Equal(c.Heading, corpus[c.Id].Title);
        var byAnchor = set.Queries.ToDictionary(q => q.Text, q => q.DocumentId);
        Assert.NotEmpty(pairs);
        foreach (var (anchor, positive) in pairs)
        {
            var (title, text) = corpus[byAnchor[anchor]];
            Assert.Equal(title.Length == 0 ? text : $"{title} {text}", positive);
            Assert.DoesNotContain(anchor, positive);
        }
        Assert.Contains(pairs, p => p.Positive.StartsWith(Canteen + " ", StringComparison.Ordinal));
    }

    [Fact]
    public void AHeadingIsAQueryOnlyOfTheOnePassageThatHasItAndIsThenTakenOutOfIt()
    {
        // A heading that every passage of its section carries as title would be a query its positive and each sibling hold
        // verbatim; the heading of a one-chunk section is a query of that chunk, taken out of it as an ICT sentence is.
        var chunks = Documents().Chunks;
        var set = IctGenerator.Generate(chunks, new IctOptions { Filter = new FilterOptions { MinPassageWords = 1 } });
        Assert.DoesNotContain(set.Queries, q => q.Text == Canteen);
        var heading = Assert.Single(set.Queries, q => q.Kind == "heading");
        var bikes = chunks.Single(c => c.Heading == Bikes);
        Assert.Equal((Bikes, bikes.Id), (heading.Text, heading.DocumentId));
        var (corpus, pairs) = Written(set);
        Assert.Equal("", corpus[bikes.Id].Title);
        Assert.Equal(corpus[bikes.Id].Text, Assert.Single(pairs, p => p.Anchor == Bikes).Positive); // (less its ICT sentence)
        Assert.Contains(corpus[bikes.Id].Text, bikes.Text);
        // Without heading pairs the passage keeps its heading.
        var plain = IctGenerator.Generate(chunks, new IctOptions { HeadingPairs = false, Filter = new FilterOptions { MinPassageWords = 1 } });
        Assert.Equal(Bikes, plain.Corpus.Single(d => d.Id == bikes.Id).Title);
    }

    [Fact]
    public async Task LlmPassagesCarryTheirHeadingAndTheModelIsShownIt()
    {
        var docs = Documents();
        using var server = new FakeChatServer((_, _) => Reply.Good);
        var set = await LlmGenerator.GenerateAsync(docs, Settings(server), new FilterOptions(), Path.Combine(TestPaths.NewTempDir(), "j.jsonl"));
        var chunkOf = docs.Chunks.ToDictionary(c => c.Text, StringComparer.Ordinal);
        Assert.Equal(docs.Chunks.Count, server.Prompts.Count);
        foreach (var (_, user) in server.Prompts)
        {
            var chunk = chunkOf[user[(user.LastIndexOf("Tekst:\n", StringComparison.Ordinal) + 7)..]];
            if (chunk.Heading.Length == 0) Assert.DoesNotContain("Overskrift", user);
            else Assert.EndsWith($"\n\nOverskrift: {chunk.Heading}\n\nTekst:\n{chunk.Text}", user);
        }
        var (corpus, pairs) = Written(set);
        foreach (var c in docs.Chunks) Assert.Equal((c.Heading, c.Text), corpus[c.Id]);
        var byAnchor = set.Queries.ToDictionary(q => q.Text, q => docs.Chunks.Single(c => c.Id == q.DocumentId));
        Assert.Equal(set.Queries.Count, pairs.Count);
        foreach (var (anchor, positive) in pairs)
        {
            var c = byAnchor[anchor];
            Assert.Equal(c.Heading.Length == 0 ? c.Text : c.Heading + " " + c.Text, positive);
        }
        Assert.Contains(pairs, p => p.Positive.StartsWith(Bikes + " ", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("nb", "Overskriften sier", "Overskrift", "Tekst")]
    [InlineData("nn", "Overskrifta seier", "Overskrift", "Tekst")]
    [InlineData("da", "Overskriften fortæller", "Overskrift", "Tekst")]
    [InlineData("sv", "Rubriken säger", "Rubrik", "Text")]
    public async Task EveryPromptLanguageShowsTheHeading(string language, string instruction, string label, string text)
    {
        var docs = Documents();
        using var server = new FakeChatServer((_, _) => Reply.Good);
        await LlmGenerator.GenerateAsync(docs, Settings(server) with { Language = language }, new FilterOptions(), Path.Combine(TestPaths.NewTempDir(), "j.jsonl"));
        var bikes = docs.Chunks.Single(c => c.Heading == Bikes);
        var headless = docs.Chunks.First(c => c.Heading.Length == 0);
        string user = server.Prompts.Single(p => p.User.EndsWith(bikes.Text, StringComparison.Ordinal)).User;
        Assert.Contains(instruction, user);
        Assert.EndsWith($"\n\n{label}: {Bikes}\n\n{text}:\n{bikes.Text}", user);
        string without = server.Prompts.Single(p => p.User.EndsWith(headless.Text, StringComparison.Ordinal)).User;
        Assert.DoesNotContain(instruction, without);
        Assert.DoesNotContain(label + ":", without);
    }

    [Fact]
    public async Task AJournalFromBeforeHeadingsKeepsChunksWithoutOneAndAsksTheOthersAgain()
    {
        // A journal entry answered a prompt without the heading. A chunk without a heading is sent the same prompt as
        // before: its answers are reused. A chunk with one is asked again, with its heading, and so is it when its heading
        // changes. The old fingerprint, written out here: SHA-256 of "model\nlanguage\nquestions per chunk\npassage",
        // its first 16 hex digits in lower case.
        var docs = Documents();
        string journal = Path.Combine(TestPaths.NewTempDir(), "j.jsonl");
        using (var old = GenerationJournal.Open(journal))
        {
            foreach (var (c, i) in docs.Chunks.Select((c, i) => (c, i)))
            {
                string fp = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes($"fake\nnb\n2\n{c.Text}")))[..16].ToLowerInvariant();
                old.Append(new JournalEntry(c.Id, fp, [$"Hva sto det i gammel utgave nummer {i}?"]));
            }
        }
        using var server = new FakeChatServer((_, _) => Reply.Good);
        var set = await LlmGenerator.GenerateAsync(docs, Settings(server), new FilterOptions(), journal);
        Assert.Equal(docs.Chunks.Where(c => c.Heading.Length > 0).Select(c => c.Text).Order(), server.Requests.Order());
        foreach (var (c, i) in docs.Chunks.Select((c, i) => (c, i)).Where(x => x.c.Heading.Length == 0))
            Assert.Contains(set.Queries, q => q.DocumentId == c.Id && q.Text == $"Hva sto det i gammel utgave nummer {i}?");
        // Resuming: nothing is asked twice.
        await LlmGenerator.GenerateAsync(docs, Settings(server), new FilterOptions(), journal);
        Assert.Equal(docs.Chunks.Count(c => c.Heading.Length > 0), server.Requests.Count);
        // A changed heading: its chunks are asked again, with the new heading, and only they.
        var renamed = Documents("Kantinen i tredje etasje");
        Assert.Equal(docs.Chunks.Select(c => (c.Id, c.Text)), renamed.Chunks.Select(c => (c.Id, c.Text)));
        while (server.Prompts.TryDequeue(out _)) { }
        await LlmGenerator.GenerateAsync(renamed, Settings(server), new FilterOptions(), journal);
        Assert.Equal(renamed.Chunks.Count(c => c.Heading == "Kantinen i tredje etasje"), server.Prompts.Count);
        Assert.All(server.Prompts, p => Assert.Contains("Overskrift: Kantinen i tredje etasje\n", p.User));
    }

    [Fact]
    public void AHeadingIsNotCountedInThePassagesLengthButIsInWhatAQueryMustNotCopy()
    {
        // Seven and five words under a four-word heading: either sentence taken out leaves fewer than eight words of
        // text. Counting the heading made such a sentence a query and the rest, a few words, its positive.
        const string heading = "Kaffemaskinen i tredje etasje";
        var doc = DocumentIngest.Build("a.md", [
            new DocumentBlock(BlockKind.Heading, heading),
            new DocumentBlock(BlockKind.Paragraph, "Maskinen lager espresso og filterkaffe hver dag. Ta aldri ut bryggeenheten."),
        ])!;
        var chunks = Chunker.Split(doc, 0, new ChunkOptions());
        var chunk = Assert.Single(chunks);
        var set = IctGenerator.Generate(chunks, new IctOptions { HeadingPairs = false });
        Assert.Empty(set.Queries);
        Assert.Equal((heading, chunk.Text), (set.Corpus[0].Title, set.Corpus[0].Text));
        Assert.Equal(1, set.Filtered["passage too short"]);
        // With a floor the text alone meets, the sentence is taken out as before.
        set = IctGenerator.Generate(chunks, new IctOptions { HeadingPairs = false, Filter = new FilterOptions { MinPassageWords = 5 } });
        Assert.Single(set.Queries, q => q.Kind == "ict");

        var filter = new PairFilter(new FilterOptions());
        Assert.False(filter.Accept("Hvor står kaffemaskinen egentlig?", "Ta aldri ut bryggeenheten.", title: heading));
        Assert.False(filter.Accept("kaffemaskinen i tredje etasje", "Maskinen lager espresso og filterkaffe hver eneste dag.", title: heading));
        Assert.True(filter.Accept("Hvor står kaffemaskinen egentlig?", "Maskinen lager espresso og filterkaffe hver eneste dag.", title: heading));
        Assert.Equal(new Dictionary<string, int> { ["passage too short"] = 1, ["copies the passage"] = 1 }, filter.Dropped.ToDictionary());
    }

    [Fact]
    public void TheRoundTripSearchesTitlesToo()
    {
        // The query's words are in its passage's heading only: searched as the index searches (title and text), the
        // passage is found; its text alone loses to a passage that shares one word with the query.
        var set = new GeneratedSet(
        [
            new CorpusDocument("a", Bikes, "Stativene står i kjelleren ved heisen."),
            new CorpusDocument("b", "Kantine", "Kaffe finnes i kantinen."),
        ], [new GeneratedQuery("q0", "Hvor finnes sykkelparkering om vinteren?", "a", "llm")], new Dictionary<string, int>());
        var kept = RoundTripFilter.Apply(set, new Skald.Data.Negatives.Bm25CandidateScorer(new Skald.Retrieval.Bm25.Bm25Model()), 1);
        Assert.Equal(["q0"], kept.Queries.Select(q => q.Id));
    }
}
