using Microsoft.Extensions.AI;
using Skald.Models.CrossEncoders;
using Skald.Models.Generation;
using ChatMessage = Microsoft.Extensions.AI.ChatMessage;

namespace Skald.Models.Tests;

/// <summary>
/// A named sweep of what a careless or hostile caller passes to the library's entry points (<see cref="SentenceEncoder"/>,
/// the Microsoft.Extensions.AI generators, <see cref="CrossEncoder"/>, <see cref="TextGenerator"/>,
/// <see cref="SkaldChatClient"/>): each case is a call with the exception a .NET caller expects and the parameter it
/// must name (null: a call that succeeds), one line, so a regression names its case. Beside the table: empty input
/// costs no forward pass, a cancelled token stops before any work, and one instance called from many threads gives
/// what sequential calls give, bit for bit.
/// </summary>
public sealed class LibraryApiSweepTests
{
    private static readonly Lazy<SentenceEncoder> Encoder = new(() => SentenceEncoder.Load(TestPaths.FixtureModel("bert-cased-mean")));
    private static readonly Lazy<SentenceEncoder> Csr = new(() => SentenceEncoder.Load(TestPaths.FixtureModel("csr-bert-tiny")));
    private static readonly Lazy<CrossEncoder> Reranker = new(() => CrossEncoder.Load(TestPaths.FixtureModel("ce-bert")));
    private static readonly Lazy<TextGenerator> Decoder = new(() => TextGenerator.Load(TestPaths.FixtureModel("decoder-llama3")));

    private static readonly string[] Texts = ["Hvor ligger biblioteket?", "Biblioteket ligger i sentrum.", "Ferja går kvar time."];

    // (the call, the exception it throws or null when it succeeds, the parameter the exception names)
    private static readonly Dictionary<string, (Action Call, Type? Throws, string? Param)> Calls = new()
    {
        // SentenceEncoder
        ["Encode(texts: null)"] = (() => Encoder.Value.Encode((IReadOnlyList<string>)null!), typeof(ArgumentNullException), "texts"),
        ["Encode(text: null)"] = (() => Encoder.Value.Encode((string)null!), typeof(ArgumentNullException), "text"),
        ["Encode([text, null])"] = (() => Encoder.Value.Encode(["a", null!]), typeof(ArgumentException), "texts"),
        ["Encode(texts: null, options, token)"] = (() => Encoder.Value.Encode(null!, null, CancellationToken.None), typeof(ArgumentNullException), "texts"),
        ["Tokenize(null)"] = (() => Encoder.Value.Tokenize(null!), typeof(ArgumentNullException), "texts"),
        ["Prepare(null)"] = (() => Encoder.Value.Prepare(null!), typeof(ArgumentNullException), "texts"),
        ["Encode BatchSize 0"] = (() => Encoder.Value.Encode(Texts, new EncodeOptions { BatchSize = 0 }), typeof(ArgumentOutOfRangeException), "options"),
        ["Encode BatchSize -1"] = (() => Encoder.Value.Encode(Texts, new EncodeOptions { BatchSize = -1 }), typeof(ArgumentOutOfRangeException), "options"),
        ["Encode TruncateDim 0"] = (() => Encoder.Value.Encode(Texts, new EncodeOptions { TruncateDim = 0 }), typeof(ArgumentOutOfRangeException), "options"),
        ["Encode TruncateDim -4"] = (() => Encoder.Value.Encode(Texts, new EncodeOptions { TruncateDim = -4 }), typeof(ArgumentOutOfRangeException), "options"),
        ["Encode TruncateDim past Dimension"] = (() => Encoder.Value.Encode(Texts, new EncodeOptions { TruncateDim = Encoder.Value.Dimension + 1 }), typeof(ArgumentOutOfRangeException), "options"),
        ["Encode TruncateDim = Dimension"] = (() => Encoder.Value.Encode(Texts, new EncodeOptions { TruncateDim = Encoder.Value.Dimension }), null, null),
        ["Encode MaxLength 0"] = (() => Encoder.Value.Encode(Texts, new EncodeOptions { MaxLength = 0 }), typeof(ArgumentOutOfRangeException), "options"),
        ["Encode MaxLength -1"] = (() => Encoder.Value.Encode(Texts, new EncodeOptions { MaxLength = -1 }), typeof(ArgumentOutOfRangeException), "options"),
        ["Encode MaxLength past the model's"] = (() => Encoder.Value.Encode(Texts, new EncodeOptions { MaxLength = 1 << 20 }), null, null),
        ["Encode MaxLength 1"] = (() => Encoder.Value.Encode(Texts, new EncodeOptions { MaxLength = 1 }), null, null),
        ["Encode MaxActiveDims 0 on a CSR model"] = (() => Csr.Value.Encode(Texts, new EncodeOptions { MaxActiveDims = 0 }), typeof(ArgumentOutOfRangeException), "options"),
        ["EncodeSparse maxActiveDims 0 on a CSR model"] = (() => Csr.Value.EncodeSparse(Texts, maxActiveDims: 0), typeof(ArgumentOutOfRangeException), "maxActiveDims"),
        ["Encode MaxActiveDims 0 on a dense model (ignored)"] = (() => Encoder.Value.Encode(Texts, new EncodeOptions { MaxActiveDims = 0 }), null, null),
        ["Encode empty and blank texts"] = (() => Encoder.Value.Encode(["", " ", "\t\n", "\u00a0"]), null, null),
        ["Similarity of unequal lengths"] = (() => Encoder.Value.Similarity(new float[3], new float[4]), typeof(ArgumentException), null),
        ["Similarity(a: null)"] = (() => Encoder.Value.Similarity(null!, [new float[3]]), typeof(ArgumentNullException), "a"),
        ["Similarity(b: null)"] = (() => Encoder.Value.Similarity([new float[3]], null!), typeof(ArgumentNullException), "b"),
        ["SimilarityPairwise(a: null)"] = (() => Encoder.Value.SimilarityPairwise(null!, [new float[3]]), typeof(ArgumentNullException), "a"),
        ["SimilarityPairwise(b: [null])"] = (() => Encoder.Value.SimilarityPairwise([new float[3]], [null!]), typeof(ArgumentException), "b"),
        ["SimilarityPairwise of unequal counts"] = (() => Encoder.Value.SimilarityPairwise([new float[3]], []), typeof(ArgumentException), "b"),
        ["EncodeTokens([text, null])"] = (() => Encoder.Value.EncodeTokens(["a", null!]), typeof(ArgumentException), "texts"),
        ["Decode(embedding: null)"] = (() => Encoder.Value.Decode((SparseEmbedding)null!), typeof(ArgumentNullException), "embedding"),
        // the Microsoft.Extensions.AI generators
        ["new SkaldEmbeddingGenerator(null)"] = (() => _ = new SkaldEmbeddingGenerator(null!), typeof(ArgumentNullException), "encoder"),
        ["GenerateAsync(null)"] = (() => Generate(null!), typeof(ArgumentNullException), "values"),
        ["GenerateAsync([text, null])"] = (() => Generate(["a", null!]), typeof(ArgumentException), "values"),
        ["GenerateAsync Dimensions past the model's"] = (() => Generate(Texts, new EmbeddingGenerationOptions { Dimensions = Encoder.Value.Dimension + 1 }), typeof(ArgumentOutOfRangeException), "options"),
        ["GenerateAsync Dimensions = the model's"] = (() => Generate(Texts, new EmbeddingGenerationOptions { Dimensions = Encoder.Value.Dimension }), null, null),
        ["GetService(null)"] = (() => new SkaldEmbeddingGenerator(Encoder.Value).GetService(null!), typeof(ArgumentNullException), "serviceType"),
        // CrossEncoder
        ["Predict(pairs: null)"] = (() => Reranker.Value.Predict((IReadOnlyList<(string, string)>)null!), typeof(ArgumentNullException), "pairs"),
        ["Predict(encodings: null)"] = (() => Reranker.Value.Predict((IReadOnlyList<Skald.Tokenizers.Encoding>)null!), typeof(ArgumentNullException), "encodings"),
        ["Predict([(q, null)])"] = (() => Reranker.Value.Predict([("q", null!)]), typeof(ArgumentException), "pairs"),
        ["Predict BatchSize 0"] = (() => Reranker.Value.Predict([("q", "d")], new CrossEncoderOptions { BatchSize = 0 }), typeof(ArgumentOutOfRangeException), "options"),
        ["Predict MaxLength 0"] = (() => Reranker.Value.Predict([("q", "d")], new CrossEncoderOptions { MaxLength = 0 }), typeof(ArgumentOutOfRangeException), "options"),
        ["Predict MaxLength -1"] = (() => Reranker.Value.Predict([("q", "d")], new CrossEncoderOptions { MaxLength = -1 }), typeof(ArgumentOutOfRangeException), "options"),
        ["Rank(query: null)"] = (() => Reranker.Value.Rank(null!, ["d"]), typeof(ArgumentNullException), "query"),
        ["Rank(documents: null)"] = (() => Reranker.Value.Rank("q", null!), typeof(ArgumentNullException), "documents"),
        ["Rank([document, null])"] = (() => Reranker.Value.Rank("q", ["d", null!]), typeof(ArgumentException), "documents"),
        ["Rank topK 0"] = (() => Reranker.Value.Rank("q", ["d"], topK: 0), typeof(ArgumentOutOfRangeException), "topK"),
        ["Rank topK -1"] = (() => Reranker.Value.Rank("q", ["d"], topK: -1), typeof(ArgumentOutOfRangeException), "topK"),
        ["Rank topK past the documents"] = (() => Reranker.Value.Rank("q", ["d"], topK: int.MaxValue), null, null),
        ["Rank empty and blank documents"] = (() => Reranker.Value.Rank("", ["", " "]), null, null),
        ["Order topK -1"] = (() => CrossEncoder.Order([1f, 2f], topK: -1), typeof(ArgumentOutOfRangeException), "topK"),
        ["Order topK 0"] = (() => CrossEncoder.Order([1f, 2f], topK: 0), typeof(ArgumentOutOfRangeException), "topK"),
        // TextGenerator
        ["Generate(prompts: null)"] = (() => Decoder.Value.Generate(null!, new GenerationOptions()), typeof(ArgumentNullException), "prompts"),
        ["Generate(options: null)"] = (() => Decoder.Value.Generate([[1, 2]], null!), typeof(ArgumentNullException), "options"),
        ["Generate([null])"] = (() => Decoder.Value.Generate([null!], new GenerationOptions()), typeof(ArgumentException), "prompts"),
        ["Generate([[]])"] = (() => Decoder.Value.Generate([[]], new GenerationOptions()), typeof(ArgumentException), "prompts"),
        ["Generate batchSize 0"] = (() => Decoder.Value.Generate([[1, 2]], new GenerationOptions(), batchSize: 0), typeof(ArgumentOutOfRangeException), "batchSize"),
        ["Generate MaxNewTokens -1"] = (() => Decoder.Value.Generate([[1, 2]], new GenerationOptions { MaxNewTokens = -1 }), typeof(ArgumentException), "options"),
        ["GenerateBatch(rows: null)"] = (() => Decoder.Value.GenerateBatch([[1, 2]], null!, new GenerationOptions()), typeof(ArgumentNullException), "rows"),
        ["GenerateBatch row out of range"] = (() => Decoder.Value.GenerateBatch([[1, 2]], [1], new GenerationOptions()), typeof(ArgumentOutOfRangeException), "rows"),
        ["GenerateTogether(options: null)"] = (() => Decoder.Value.GenerateTogether([[1, 2]], null!), typeof(ArgumentNullException), "options"),
        ["Tokenize(input: null)"] = (() => Decoder.Value.Tokenize(null!), typeof(ArgumentNullException), "input"),
        ["Tokenize(empty input)"] = (() => Decoder.Value.Tokenize(new GenerationInput()), typeof(ArgumentException), "input"),
        ["Tokenize maxTokens -1"] = (() => Decoder.Value.Tokenize(GenerationInput.FromPrompt("Hei"), -1), typeof(ArgumentOutOfRangeException), "maxTokens"),
        // SkaldChatClient
        ["new SkaldChatClient(null)"] = (() => _ = new SkaldChatClient(null!), typeof(ArgumentNullException), "generator"),
        ["GetResponseAsync(null)"] = (() => Chat(c => c.GetResponseAsync((IEnumerable<ChatMessage>)null!)), typeof(ArgumentNullException), "messages"),
        ["GetResponseAsync([])"] = (() => Chat(c => c.GetResponseAsync(Array.Empty<ChatMessage>())), typeof(ArgumentException), "messages"),
        ["CompleteAsync(null)"] = (() => Chat(c => c.CompleteAsync(null!)), typeof(ArgumentNullException), "prompt"),
        ["CompleteAsync MaxOutputTokens 0"] = (() => Chat(c => c.CompleteAsync("Hei", new ChatOptions { MaxOutputTokens = 0 })), typeof(ChatOptionException), "max_tokens"),
        ["CompleteAsync MaxOutputTokens -1"] = (() => Chat(c => c.CompleteAsync("Hei", new ChatOptions { MaxOutputTokens = -1 })), typeof(ChatOptionException), "max_tokens"),
        ["CompleteAsync TopK -1"] = (() => Chat(c => c.CompleteAsync("Hei", new ChatOptions { TopK = -1 })), typeof(ChatOptionException), "top_k"),
        ["CompleteAsync Temperature NaN"] = (() => Chat(c => c.CompleteAsync("Hei", new ChatOptions { Temperature = float.NaN })), typeof(ChatOptionException), "temperature"),
        ["CompleteAsync TopP 2"] = (() => Chat(c => c.CompleteAsync("Hei", new ChatOptions { TopP = 2 })), typeof(ChatOptionException), "top_p"),
        ["CompleteAsync StopSequences [\"\"]"] = (() => Chat(c => c.CompleteAsync("Hei", new ChatOptions { StopSequences = [""] })), typeof(ChatOptionException), "stop"),
        ["GetService(null) of the chat client"] = (() => new SkaldChatClient(Decoder.Value).GetService(null!), typeof(ArgumentNullException), "serviceType"),
    };

    public static TheoryData<string> Cases => [.. Calls.Keys];

    [Theory]
    [MemberData(nameof(Cases))]
    public void EachCallGetsTheExceptionNamingItsArgument(string name)
    {
        var (call, throws, param) = Calls[name];
        if (ArgumentSweep.Check(name, call, throws) is { } thrown && param is not null)
            Assert.Equal(param, thrown is ChatOptionException option ? option.Field : ((ArgumentException)thrown).ParamName);
    }

    [Fact]
    public async Task EmptyInputIsAnEmptyAnswerWithoutAForwardPass()
    {
        int batches = 0;
        Assert.Empty(Encoder.Value.Encode([], new EncodeOptions { Progress = (_, _) => batches++ }));
        using (var generator = new SkaldEmbeddingGenerator(Encoder.Value))
        {
            var none = await generator.GenerateAsync([]);
            Assert.Empty(none);
            Assert.Equal(0, none.Usage!.InputTokenCount);
        }
        Assert.Empty(Reranker.Value.Rank("q", [], options: new CrossEncoderOptions { Progress = (_, _) => batches++ }));
        Assert.Empty(Decoder.Value.Generate([], new GenerationOptions()));
        Assert.Equal(0, batches);
    }

    [Fact]
    public async Task ACancelledTokenStopsEachCallBeforeAnyWork()
    {
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        bool tokenized = false, scored = false;
        // TruncatedTexts is told of the texts once they are tokenized: a cancelled call does not get that far
        Assert.Throws<OperationCanceledException>(() => Encoder.Value.Encode(Texts, new EncodeOptions { TruncatedTexts = _ => tokenized = true }, cancel.Token));
        Assert.False(tokenized);
        Assert.Throws<OperationCanceledException>(() => Encoder.Value.Encode([], null, cancel.Token));
        using (var generator = new SkaldEmbeddingGenerator(Encoder.Value))
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => generator.GenerateAsync(Texts, cancellationToken: cancel.Token));
        Assert.Throws<OperationCanceledException>(() => Reranker.Value.Predict([("q", "d")], new CrossEncoderOptions { Progress = (_, _) => scored = true }, cancel.Token));
        Assert.Throws<OperationCanceledException>(() => Reranker.Value.Rank("q", ["d"], cancellationToken: cancel.Token));
        Assert.False(scored);
        using var client = new SkaldChatClient(Decoder.Value);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.CompleteAsync("Hei", cancellationToken: cancel.Token));
        Assert.Equal(0, client.Pending);
    }

    [Fact]
    public void AVeryLongTextIsEmbeddedFromItsFirstTokens()
    {
        var model = Encoder.Value;
        string head = string.Concat(Enumerable.Repeat("Biblioteket ligger i sentrum. ", 4 * model.MaxSeqLength)); // well past max_seq_length
        Assert.True(model.Tokenize([head])[0].Truncated);
        var whole = model.Encode([head, head + string.Concat(Enumerable.Repeat("Ferja går kvar time. ", 50_000))]); // ~1 M characters more
        Assert.True(whole[0].AsSpan().SequenceEqual(whole[1]), "the tail past the max length changed the embedding");
        Assert.All(whole[1], v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void AGeneratorOverAHubSnapshotIsNamedByTheRepositoryNotTheCommit()
    {
        // the layout huggingface_hub gives a hub id (SentenceEncoder.Load("org/name") loads from such a folder)
        string cache = TestPaths.NewTempDir();
        string snapshot = TestPaths.CopyFolder(TestPaths.FixtureModel("bert-cased-mean"),
            Path.Combine(cache, "models--NbAiLab--tiny-sbert", "snapshots", "0123456789abcdef0123456789abcdef01234567"));
        try
        {
            using var encoder = SentenceEncoder.Load(snapshot);
            using var generator = new SkaldEmbeddingGenerator(encoder);
            Assert.Equal("NbAiLab/tiny-sbert", generator.GetService<EmbeddingGeneratorMetadata>()!.DefaultModelId);
            using var folder = new SkaldEmbeddingGenerator(Encoder.Value);
            Assert.Equal("bert-cased-mean", folder.GetService<EmbeddingGeneratorMetadata>()!.DefaultModelId); // a plain folder: its name
        }
        finally
        {
            Directory.Delete(cache, recursive: true);
        }
    }

    [Fact]
    public async Task ADisposedInstanceRefusesEveryCallWithObjectDisposedException()
    {
        var encoder = SentenceEncoder.Load(TestPaths.FixtureModel("bert-cased-mean"));
        var generator = new SkaldEmbeddingGenerator(encoder);
        var reranker = CrossEncoder.Load(TestPaths.FixtureModel("ce-bert"));
        var decoder = TextGenerator.Load(TestPaths.FixtureModel("decoder-llama3"));
        var client = new SkaldChatClient(decoder) { OwnsGenerator = true };
        encoder.Dispose();
        reranker.Dispose();
        client.Dispose(); // and its generator with it
        Assert.Throws<ObjectDisposedException>(() => encoder.Encode(Texts));
        Assert.Throws<ObjectDisposedException>(() => encoder.Encode([]));
        Assert.Throws<ObjectDisposedException>(() => encoder.Tokenize(Texts));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => generator.GenerateAsync(Texts)); // over a disposed encoder
        generator.Dispose();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => generator.GenerateAsync(Texts));
        Assert.Throws<ObjectDisposedException>(() => reranker.Predict([("q", "d")]));
        Assert.Throws<ObjectDisposedException>(() => reranker.Rank("q", ["d"]));
        Assert.Throws<ObjectDisposedException>(() => decoder.Generate([[1, 2]], new GenerationOptions()));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => client.CompleteAsync("Hei"));
        Assert.Equal(encoder.Dimension, generator.GetService<EmbeddingGeneratorMetadata>()!.DefaultModelDimensions); // metadata stays readable
    }

    [Fact]
    public async Task ManyThreadsOnOneEncoderGetWhatSequentialCallsGetBitForBit()
    {
        var model = Encoder.Value;
        string[][] inputs = [.. Enumerable.Range(0, 8).Select(t => Enumerable.Range(0, 1 + t % 3).Select(i => $"{Texts[(t + i) % 3]} {t} {i}").ToArray())];
        var expected = inputs.Select(texts => model.Encode(texts)).ToArray();
        var tasks = Enumerable.Range(0, 8).Select(t => Task.Run(() =>
        {
            for (int call = 0; call < 50; call++)
            {
                var got = model.Encode(inputs[t], new EncodeOptions { BatchSize = 1 + call % 2 });
                for (int i = 0; i < got.Length; i++) Assert.True(expected[t][i].AsSpan().SequenceEqual(got[i]), $"thread {t} call {call} text {i}");
            }
        }));
        await Task.WhenAll(tasks);
    }

    [Fact]
    public async Task ManyThreadsOnOneCrossEncoderGetWhatSequentialCallsGetBitForBit()
    {
        var model = Reranker.Value;
        (string, string)[][] inputs = [.. Enumerable.Range(0, 8).Select(t => Enumerable.Range(0, 1 + t % 3).Select(i => (Texts[t % 3], $"{Texts[(t + i) % 3]} {i}")).ToArray())];
        var expected = inputs.Select(pairs => model.Predict(pairs)).ToArray();
        await Task.WhenAll(Enumerable.Range(0, 8).Select(t => Task.Run(() =>
        {
            for (int call = 0; call < 50; call++)
            {
                var got = model.Predict(inputs[t]);
                for (int i = 0; i < got.Length; i++) Assert.True(expected[t][i].AsSpan().SequenceEqual(got[i]), $"thread {t} call {call} pair {i}");
            }
        })));
    }

    [Fact]
    public async Task ManyThreadsOnOneTextGeneratorGetWhatSequentialCallsGet()
    {
        var generator = Decoder.Value;
        var options = new GenerationOptions { MaxNewTokens = 5 };
        int[][] prompts = [.. Enumerable.Range(0, 8).Select(t => generator.Tokenize(GenerationInput.FromPrompt($"{Texts[t % 3]} {t}")))];
        var expected = prompts.Select(p => generator.Generate([p], options)[0]).ToArray();
        await Task.WhenAll(Enumerable.Range(0, 8).Select(t => Task.Run(() =>
        {
            for (int call = 0; call < 10; call++)
            {
                var got = generator.Generate([prompts[t]], options)[0];
                Assert.True(expected[t].Ids.SequenceEqual(got.Ids), $"thread {t} call {call}: {string.Join(",", got.Ids)} instead of {string.Join(",", expected[t].Ids)}");
            }
        })));
    }

    [Fact]
    public async Task ManyThreadsOnOneChatClientGetWhatSequentialRequestsGet()
    {
        // one request a batch, so that no batch mate can tip a near tie: the queue alone is under test
        using var client = new SkaldChatClient(Decoder.Value) { MaxBatchSize = 1 };
        var options = new ChatOptions { Temperature = 0, MaxOutputTokens = 5 };
        string[] prompts = [.. Enumerable.Range(0, 8).Select(t => $"{Texts[t % 3]} {t}")];
        var expected = new string[prompts.Length];
        for (int t = 0; t < prompts.Length; t++) expected[t] = (await client.CompleteAsync(prompts[t], options)).Text;
        await Task.WhenAll(Enumerable.Range(0, 8).Select(t => Task.Run(async () =>
        {
            for (int call = 0; call < 5; call++) Assert.Equal(expected[t], (await client.CompleteAsync(prompts[t], options)).Text);
        })));
        Assert.Equal(0, client.Pending);
    }

    private static void Generate(IEnumerable<string> values, EmbeddingGenerationOptions? options = null)
    {
        using var generator = new SkaldEmbeddingGenerator(Encoder.Value);
        generator.GenerateAsync(values, options).GetAwaiter().GetResult();
    }

    private static void Chat(Func<SkaldChatClient, Task<ChatResponse>> call)
    {
        using var client = new SkaldChatClient(Decoder.Value);
        call(client).GetAwaiter().GetResult();
    }
}
