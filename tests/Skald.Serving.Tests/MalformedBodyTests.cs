using System.Text;
using Skald.Serving;
using static Skald.Serving.Tests.ServerFixture;

namespace Skald.Serving.Tests;

/// <summary>
/// A request body that is not JSON is a 400 whose message is one plain line, "the request body is not valid JSON at
/// byte N (reason)", N counted from 1: the parser's "LineNumber: 0 | BytePositionInLine: 9" (counted from 0) is left out.
/// Every endpoint that reads JSON goes through the one body parser, so each reader is asked here.
/// </summary>
public sealed class MalformedBodyTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    // `{"input":` ends after its 9th byte, so the value it waits for is missing at the 10th.
    private const string Cut = "{\"input\":";

    public static TheoryData<string> Readers => ["embeddings", "chat", "completions", "rerank", "search"];

    [Theory]
    [MemberData(nameof(Readers))]
    public void EveryReaderNamesTheByteAndTheReasonInOneLine(string reader)
    {
        var e = Assert.Throws<ApiException>(() => Read(reader, Encoding.UTF8.GetBytes(Cut)));
        Assert.Equal(400, e.Status);
        Assert.StartsWith($"the request body is not valid JSON at byte {Cut.Length + 1} (", e.Message);
        Assert.EndsWith(")", e.Message);
        Assert.DoesNotContain("LineNumber", e.Message);
        Assert.DoesNotContain("BytePositionInLine", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Theory]
    [InlineData("embeddings", 8)]
    [InlineData("chat", 64)]
    public void ABodyNestedTooDeepSaysTheLimitNotInvalidJson(string reader, int limit)
    {
        // {"input": [[...]]}: the object and `limit` arrays are limit + 1 levels; the limit-th '[' (byte 10 + limit) is one too many
        string body = "{\"input\": " + new string('[', limit) + new string(']', limit) + "}";
        var e = Assert.Throws<ApiException>(() => Read(reader, Encoding.UTF8.GetBytes(body)));
        Assert.Equal(400, e.Status);
        Assert.Equal($"the request body nests objects and arrays more than {limit} deep (at byte {10 + limit}), deeper than this endpoint reads", e.Message);
    }

    [Fact]
    public void ABodyOfSeveralLinesNamesTheLineToo()
    {
        // Line 2 is `  "input": x}`: the x is its 12th byte.
        byte[] body = Encoding.UTF8.GetBytes("{\n  \"input\": x}");
        var e = Assert.Throws<ApiException>(() => EmbeddingRequestReader.Read(body, 16));
        Assert.StartsWith("the request body is not valid JSON at line 2, byte 12 (", e.Message);
    }

    [Fact]
    public void AByteOrderMarkCountsInThePosition()
    {
        byte[] body = [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes(Cut)];
        var e = Assert.Throws<ApiException>(() => EmbeddingRequestReader.Read(body, 16));
        Assert.StartsWith($"the request body is not valid JSON at byte {body.Length + 1} (", e.Message);
    }

    [Fact]
    public async Task TheServerAnswersThatLineAsA400()
    {
        var (status, body) = await PostAsync(fixture.Client, Cut);
        Assert.Equal(400, status);
        string? message = Error(body).GetProperty("message").GetString();
        Assert.StartsWith($"the request body is not valid JSON at byte {Cut.Length + 1} (", message);
        Assert.DoesNotContain("LineNumber", message);
    }

    /// <summary>Reads <paramref name="body"/> with the named endpoint's request reader (also used by <see cref="MissingFieldTests"/>).</summary>
    internal static void Read(string reader, byte[] body)
    {
        switch (reader)
        {
            case "embeddings": EmbeddingRequestReader.Read(body, 16); break;
            case "chat": ChatRequestReader.Read(body); break;
            case "completions": CompletionRequestReader.Read(body); break;
            case "rerank": RerankRequestReader.Read(body, 16); break;
            default: SearchRequestReader.Read(body); break;
        }
    }
}
