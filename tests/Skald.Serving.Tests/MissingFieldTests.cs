using System.Text;
using Skald.Serving;

namespace Skald.Serving.Tests;

/// <summary>
/// A body that lacks a required top-level field is a 400 naming it; when another member's name is a likely typo of it
/// ("inputs" for "input"), the message says which one to rename (one rule, <c>JsonBody.Missing</c>, for every reader).
/// </summary>
public sealed class MissingFieldTests
{
    [Theory]
    [InlineData("embeddings", "{\"inputs\": \"hei\"}", "input", "inputs")]
    [InlineData("chat", "{\"message\": [{\"role\": \"user\", \"content\": \"hei\"}]}", "messages", "message")]
    [InlineData("completions", "{\"promt\": \"hei\"}", "prompt", "promt")]
    [InlineData("rerank", "{\"qurey\": \"hei\", \"documents\": [\"a\"]}", "query", "qurey")]
    [InlineData("rerank", "{\"query\": \"hei\", \"document\": [\"a\"]}", "documents", "document")]
    [InlineData("search", "{\"querry\": \"hei\"}", "query", "querry")]
    public void AMisspeltFieldIsNamedWithTheOneMeant(string reader, string json, string field, string typo)
    {
        var e = Assert.Throws<ApiException>(() => MalformedBodyTests.Read(reader, Encoding.UTF8.GetBytes(json)));
        Assert.Equal(400, e.Status);
        Assert.Equal(field, e.Param);
        Assert.Equal("missing_required_parameter", e.Code);
        Assert.StartsWith($"\"{field}\" is required: ", e.Message);
        Assert.EndsWith($"(the body has \"{typo}\": did you mean \"{field}\"?)", e.Message);
    }

    [Theory]
    [InlineData("embeddings", "{\"model\": \"m\"}", "\"input\" is required: a string, an array of strings, or token-id arrays")]
    [InlineData("search", "{\"top_k\": 3}", "\"query\" is required: the query text as a string")]
    public void AFieldMissingWithoutATypoIsNamedAlone(string reader, string json, string message)
    {
        var e = Assert.Throws<ApiException>(() => MalformedBodyTests.Read(reader, Encoding.UTF8.GetBytes(json)));
        Assert.Equal(message, e.Message);
        Assert.Equal("missing_required_parameter", e.Code);
    }
}
