using System.Text.Json;
using Skald.Models;
using static Skald.Serving.Tests.ServerFixture;

namespace Skald.Serving.Tests;

/// <summary>
/// One process serving /v1/embeddings while library <see cref="SentenceEncoder.Encode(IReadOnlyList{string}, EncodeOptions?)"/>
/// calls run on other threads against the same loaded model, fresh (its weights not yet packed: each is packed at its
/// first pass). The batcher's passes take the encoder's lock as Encode's do, so the two never run a pass at once
/// (before, the batcher's ran beside Encode's, and the lazy packing, int8 quantisation and packed-only release of a
/// weight could happen in two passes at once); every result is the one a lone call gets, bit for bit.
/// </summary>
public sealed class SharedModelConcurrencyTests
{
    [Fact]
    public async Task ABatcherPassWaitsForAnEncodePassOnTheSameModel()
    {
        using var encoder = SentenceEncoder.Load(ModelDir);
        await using var server = await EmbeddingServer.StartAsync(encoder, "127.0.0.1", 0, new EmbeddingServiceOptions());
        using var client = new HttpClient { BaseAddress = server.Address, Timeout = TimeSpan.FromSeconds(60) };
        using var encodeInside = new ManualResetEventSlim();
        using var serverLayer = new ManualResetEventSlim();
        int first = 0;
        bool serverRanDuringEncode = false;
        encoder.InferenceTape.LayerStarting = () =>
        {
            if (Interlocked.Exchange(ref first, 1) != 0) return;
            encodeInside.Set();
            // The batcher's pass, asked for now, must not start a layer while this pass is inside one. Waiting a while
            // for it proves nothing alone; a pass that did start here (the race) is caught.
            serverRanDuringEncode = serverLayer.Wait(TimeSpan.FromSeconds(2));
        };
        server.Service!.Batcher.Tape.LayerStarting = () => serverLayer.Set();

        var encode = Task.Run(() => encoder.Encode([Texts[0]]));
        Assert.True(encodeInside.Wait(TimeSpan.FromSeconds(60)), "Encode's pass never started");
        var post = PostAsync(client, Body([Texts[1]]));
        var library = await encode;
        var (status, body) = await post;

        Assert.False(serverRanDuringEncode, "the batcher ran a layer of its pass while an Encode pass on the same model was inside one");
        Assert.Equal(200, status);
        using var reference = SentenceEncoder.Load(ModelDir);
        AssertBitEqual(reference.Encode(Texts[0]), library[0], "Encode's");
        AssertBitEqual(reference.Encode(Texts[1]), Embeddings(body)[0], "the server's");
    }

    [Fact]
    public async Task EncodeCallsAndRequestsAtOnceOnAFreshModelGetLoneBits()
    {
        var texts = Texts[..12];
        float[][] alone;
        using (var reference = SentenceEncoder.Load(ModelDir)) alone = [.. texts.Select(t => reference.Encode(t))];

        using var encoder = SentenceEncoder.Load(ModelDir); // nothing packed yet: the first passes below race to pack
        await using var server = await EmbeddingServer.StartAsync(encoder, "127.0.0.1", 0, new EmbeddingServiceOptions());
        using var client = new HttpClient { BaseAddress = server.Address, Timeout = TimeSpan.FromSeconds(60) };
        using var start = new ManualResetEventSlim();
        var library = Enumerable.Range(0, 3).Select(t => Task.Factory.StartNew(() =>
        {
            start.Wait();
            var got = new List<(int, float[])>();
            for (int round = 0; round < 2; round++)
            {
                var picked = Enumerable.Range(0, texts.Length).Where(i => (i + t + round) % 3 == 0).ToArray();
                var rows = encoder.Encode([.. picked.Select(i => texts[i])]);
                for (int k = 0; k < picked.Length; k++) got.Add((picked[k], rows[k]));
            }
            return got;
        }, TaskCreationOptions.LongRunning)).ToArray();
        var served = Enumerable.Range(0, 3).Select(async t =>
        {
            await Task.Run(start.Wait);
            var got = new List<(int, float[])>();
            for (int round = 0; round < 2; round++)
            {
                var picked = Enumerable.Range(0, texts.Length).Where(i => (i + t + round) % 2 == 0).ToArray();
                var (status, body) = await PostAsync(client, Body([.. picked.Select(i => texts[i])]));
                Assert.Equal(200, status);
                var rows = Embeddings(body);
                for (int k = 0; k < picked.Length; k++) got.Add((picked[k], rows[k]));
            }
            return got;
        }).ToArray();
        start.Set();

        foreach (var (i, row) in (await Task.WhenAll(library)).SelectMany(g => g)) AssertBitEqual(alone[i], row, $"Encode of text {i}");
        foreach (var (i, row) in (await Task.WhenAll(served)).SelectMany(g => g)) AssertBitEqual(alone[i], row, $"/v1/embeddings of text {i}");
    }

    private static string Body(string[] texts) => JsonSerializer.Serialize(new { input = texts, encoding_format = "base64" });

    private static void AssertBitEqual(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int j = 0; j < expected.Length; j++)
        {
            if (BitConverter.SingleToInt32Bits(expected[j]) != BitConverter.SingleToInt32Bits(actual[j]))
                Assert.Fail($"{what}: dimension {j} is {actual[j]:R}, a lone Encode gives {expected[j]:R}");
        }
    }
}
