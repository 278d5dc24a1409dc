using System.Text;
using Skald.Serving;

namespace Skald.Serving.Tests;

/// <summary>
/// Every refusal of a request carries OpenAI's machine-readable code, which OpenAI's SDKs print beside the error type:
/// a value the server does not take is "invalid_value", a field of the wrong JSON kind "invalid_type", a body that is
/// not JSON "invalid_json"; a status given no code gets its own.
/// </summary>
public sealed class ErrorCodeTests
{
    [Theory]
    [InlineData("embeddings", "{\"input\": 5}", "invalid_type", "input")]
    [InlineData("embeddings", "{\"input\": [\"a\", 3]}", "invalid_type", "input")]
    [InlineData("embeddings", "{\"input\": \"a\", \"model\": 3}", "invalid_type", "model")]
    [InlineData("embeddings", "[\"a\"]", "invalid_type", null)]
    [InlineData("embeddings", "{\"input\": []}", "invalid_value", "input")]
    [InlineData("embeddings", "{\"input\": \"a\", \"dimensions\": 0}", "invalid_value", "dimensions")]
    [InlineData("embeddings", "{\"input\": \"a\", \"encoding_format\": \"hex\"}", "invalid_value", "encoding_format")]
    [InlineData("embeddings", "{\"input\": ", "invalid_json", null)]
    [InlineData("chat", "{\"messages\": [{\"content\": \"hei\"}]}", "missing_required_parameter", "messages")]
    [InlineData("chat", "{\"messages\": [{\"role\": \"user\", \"content\": \"hei\"}], \"n\": 2}", "invalid_value", "n")]
    [InlineData("chat", "{\"messages\": [{\"role\": \"user\", \"content\": \"hei\"}], \"stream\": 1}", "invalid_type", "stream")]
    [InlineData("rerank", "{\"query\": 1, \"documents\": [\"a\"]}", "invalid_type", "query")]
    [InlineData("search", "{\"query\": \"hei\", \"top_k\": 0}", "invalid_value", "top_k")]
    [InlineData("search", "{\"query\": \"hei\", \"top_k\": \"3\"}", "invalid_type", "top_k")]
    public void ABadRequestNamesItsCode(string reader, string json, string code, string? param)
    {
        var e = Assert.Throws<ApiException>(() => MalformedBodyTests.Read(reader, Encoding.UTF8.GetBytes(json)));
        Assert.Equal(400, e.Status);
        Assert.Equal(code, e.Code);
        Assert.Equal(param, e.Param);
    }

    [Theory]
    [InlineData(400, "invalid_value")]
    [InlineData(404, "unknown_url")]
    [InlineData(408, "request_timeout")]
    [InlineData(413, "request_too_large")]
    [InlineData(415, "unsupported_media_type")]
    [InlineData(422, "invalid_value")]
    [InlineData(401, "invalid_value")]
    [InlineData(429, "invalid_value")]
    public void AClientErrorGivenNoCodeGetsItsStatussOwn(int status, string code) =>
        Assert.Equal(code, new ApiException(status, "refused").Code);

    // README's Serve section lists the codes; ApiException.Codes is the server's list of them, and a 4xx given no code
    // gets one of them (no status falls through to a code README does not name).
    [Fact]
    public void ReadmeListsEveryCodeTheServerGives()
    {
        Assert.Equal(ApiException.Codes.Order(StringComparer.Ordinal), ReadmeErrorCodes.All.Order(StringComparer.Ordinal));
        for (int status = 400; status < 500; status++)
        {
            string? code = new ApiException(status, "refused").Code;
            Assert.True(code is not null && ReadmeErrorCodes.All.Contains(code), $"{status} gets code '{code}', which README does not list");
        }
    }

    [Fact]
    public void APromptRefusalsCodeComesFromWhereItWasRaisedNotItsText()
    {
        const string reads = "the prompt is more than 64 tokens; this model's context is 64"; // a context refusal's words
        var flagged = ApiException.PromptRefused(new Skald.Models.Generation.PromptRefusedException("refused", exceedsContext: true), "prompt");
        Assert.Equal(("context_length_exceeded", "prompt", "refused"), (flagged.Code, flagged.Param, flagged.Message));
        var plain = ApiException.PromptRefused(new Skald.Models.Generation.PromptRefusedException(reads), "messages");
        Assert.Equal(("invalid_value", "messages"), (plain.Code, plain.Param));
        var room = ApiException.PromptRefused(new Skald.Models.Generation.PromptRefusedException("no room", "max_tokens", exceedsContext: true), "prompt", "prompt[1]: no room");
        Assert.Equal(("context_length_exceeded", "max_tokens", "prompt[1]: no room"), (room.Code, room.Param, room.Message));
    }

    [Fact]
    public void AGivenCodeIsKeptAndAServerErrorHasNone()
    {
        Assert.Equal("context_length_exceeded", ApiException.BadRequest("too long", "input", ApiErrorCode.ContextLengthExceeded).Code);
        Assert.Null(new ApiException(500, "failed", "server_error").Code);
    }

    // The codes are ApiErrorCode's members, made by its private constructor alone, so a throw site cannot give one the
    // list (README's) lacks: no public way to build an ApiException takes a code as text, and every member is listed.
    [Fact]
    public void NoThrowSiteCanGiveACodeOutsideTheList()
    {
        var ways = typeof(ApiException).GetConstructors().Cast<System.Reflection.MethodBase>()
            .Concat(typeof(ApiException).GetMethods(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static));
        foreach (var way in ways)
            foreach (var p in way.GetParameters().Where(p => p.Name == "code"))
                Assert.True(p.ParameterType != typeof(string), $"ApiException.{way.Name} takes its code as text");
        Assert.Empty(typeof(ApiErrorCode).GetConstructors());
        var members = typeof(ApiErrorCode).GetProperties(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
            .Where(p => p.PropertyType == typeof(ApiErrorCode)).Select(p => (ApiErrorCode)p.GetValue(null)!).ToList();
        Assert.Equal(members.Count, ApiErrorCode.All.Count);
        Assert.All(members, m => Assert.Contains(m, ApiErrorCode.All));
        Assert.Equal(ApiErrorCode.All.Select(c => c.Name), ApiException.Codes);
    }
}
