namespace Skald.Cli.Tests;

/// <summary>
/// <c>skald quantize</c>'s folder is marked as Skald's format in its card (the F journey: the int8 folder uploaded
/// kept the float model's <c>library_name: sentence-transformers</c> and Python load, which fail on Skald's int8
/// layout): library_name skald, a skald-int8 tag, one note that it loads with Skald only, no Python usage section;
/// a folder without a card gets one; quantising the int8 folder again adds no second note.
/// </summary>
public sealed class QuantizeModelCardTests
{
    // The card's shape as ModelCard writes it for a fine-tuned model (front matter, usage in Python and in Skald; an LLM2Vec card's usage too).
    private const string FloatCard = """
        ---
        base_model: NbAiLab/nb-sbert-base
        library_name: sentence-transformers
        pipeline_tag: sentence-similarity
        tags:
        - sentence-transformers
        - sentence-similarity
        - skald
        ---

        # SentenceTransformer based on NbAiLab/nb-sbert-base

        ## Usage

        ### Direct Usage (Sentence Transformers)

        ```python
        # a comment, not a heading
        from sentence_transformers import SentenceTransformer

        model = SentenceTransformer("path/to/this/folder")
        ```

        ### Direct Usage (LLM2Vec)

        ```python
        from llm2vec import LLM2Vec
        ```

        ### Direct Usage (Skald)

        ```csharp
        var model = Skald.Models.SentenceEncoder.Load("path/to/this/folder");
        ```

        ## Evaluation
        """;

    private static string? Quantize(string model, string output)
    {
        var r = InProcessSkald.Capture("quantize", "--model", model, "--output", output);
        if (r.ExitCode != 0 && r.Stderr.Contains("neither AVX-VNNI nor AVX2")) return null; // no int8 kernels here
        Assert.True(r.ExitCode == 0, r.Stderr);
        return File.ReadAllText(Path.Combine(output, "README.md"));
    }

    private static string FrontMatter(string card)
    {
        Assert.StartsWith("---\n", card);
        return card[4..card.IndexOf("\n---\n", 3, StringComparison.Ordinal)];
    }

    [Fact]
    public void TheFloatModelsCardNamesSkaldAndLoadsWithSkaldOnly()
    {
        string model = TestPaths.CopyOfFixtureModel("bert-cased-mean");
        File.WriteAllText(Path.Combine(model, "README.md"), FloatCard.ReplaceLineEndings("\n") + "\n");
        string dir = TestPaths.NewTempDir();
        if (Quantize(model, Path.Combine(dir, "int8")) is not { } card) return;
        string front = FrontMatter(card);
        Assert.Contains("library_name: skald\n", front);
        Assert.DoesNotContain("library_name: sentence-transformers", card);
        Assert.Contains("base_model: NbAiLab/nb-sbert-base\n", front);
        Assert.Contains("tags:\n- skald-int8\n- sentence-transformers\n", front);
        Assert.Contains("\n---\n\n**Skald int8 format: loads with Skald only.**", card);
        Assert.Contains("neither sentence-transformers nor transformers reads", card);
        Assert.DoesNotContain("Direct Usage (Sentence Transformers)", card);
        Assert.DoesNotContain("from sentence_transformers", card);
        Assert.DoesNotContain("Direct Usage (LLM2Vec)", card);
        Assert.DoesNotContain("from llm2vec", card);
        Assert.Contains("### Direct Usage (Skald)", card);
        Assert.Contains("## Evaluation", card);
        Assert.Contains("# SentenceTransformer based on NbAiLab/nb-sbert-base", card);

        // the int8 folder quantised again (saved from its int8 forms): the card is marked once
        string again = Quantize(Path.Combine(dir, "int8"), Path.Combine(dir, "int8-again"))!;
        Assert.Equal(card, again);
    }

    [Fact]
    public void ACardWhoseFrontMatterIsNeverClosedIsOneLineAndNothingIsWritten()
    {
        string model = TestPaths.CopyOfFixtureModel("bert-cased-mean");
        string readme = Path.Combine(model, "README.md");
        string unclosed = FloatCard.ReplaceLineEndings("\n").Replace("- skald\n---\n", "- skald\n", StringComparison.Ordinal);
        File.WriteAllText(readme, unclosed);
        string output = Path.Combine(TestPaths.NewTempDir(), "int8");
        var r = InProcessSkald.Capture("quantize", "--model", model, "--output", output);
        if (r.ExitCode != 0 && r.Stderr.Contains("neither AVX-VNNI nor AVX2")) return; // no int8 kernels here
        SkaldProcess.AssertUserError(r, 1, "README.md:1: the YAML front matter opened here is never closed");
        Assert.False(Directory.Exists(output));
        Assert.Equal(unclosed, File.ReadAllText(readme)); // the card as it was
    }

    [Fact]
    public void AFolderWithoutACardGetsOne()
    {
        string dir = TestPaths.NewTempDir();
        if (Quantize(TestPaths.FixtureModel("bert-cased-mean"), Path.Combine(dir, "int8")) is not { } card) return;
        Assert.Equal("library_name: skald\ntags:\n- skald-int8", FrontMatter(card));
        Assert.Single(card.Split("loads with Skald only").Skip(1));
    }
}
