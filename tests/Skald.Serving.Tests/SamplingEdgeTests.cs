using System.Text;
using System.Text.Json;
using static Skald.Serving.Tests.ServerFixture;

namespace Skald.Serving.Tests;

/// <summary>
/// Sampling numbers at the edge of a float: a value the reader took as in range but that is out of range as the float
/// the model is given (1e-300 is 0) is a 400 naming its field, not the model's refusal blamed on the messages; a
/// temperature so small that logits over it overflow to infinities decodes greedily, as vLLM's sampler does below 1e-5;
/// a repetition_penalty so small that it divides logits past float's range is a 400 naming it; a max_tokens (or chat's
/// max_completion_tokens) past the context is a 400 naming the field given, not the messages or the prompt.
/// </summary>
public sealed class SamplingEdgeTests(FullServer server) : IClassFixture<FullServer>
{
    [Theory]
    [InlineData("v1/chat/completions", "top_p", "1e-300")]
    [InlineData("v1/completions", "top_p", "1e-300")]
    [InlineData("v1/chat/completions", "repetition_penalty", "1e-44")] // a positive float, dividing logits past float's range
    [InlineData("v1/completions", "repetition_penalty", "1e-44")]
    public async Task ANumberThatIsZeroAsAFloatIsA400NamingItsField(string path, string field, string value)
    {
        var error = await Refused(path, $"\"max_tokens\": 3, \"{field}\": {value}");
        Assert.Equal(field, error.GetProperty("param").GetString());
        Assert.StartsWith($"{field} must be ", error.GetProperty("message").GetString());
    }

    [Theory]
    [InlineData("v1/chat/completions", "max_tokens")]
    [InlineData("v1/chat/completions", "max_completion_tokens")]
    [InlineData("v1/completions", "max_tokens")]
    public async Task ALengthPastTheContextIsA400NamingTheFieldGiven(string path, string field)
    {
        var error = await Refused(path, $"\"{field}\": 100000");
        Assert.Equal(field, error.GetProperty("param").GetString());
        Assert.StartsWith($"{field} 100000: ", error.GetProperty("message").GetString());
    }

    [Theory]
    [InlineData("1e-40")]
    public async Task ATemperatureBelowTheEpsilonAnswersAsGreedy(string temperature)
    {
        const string Messages = "\"messages\": [{\"role\": \"user\", \"content\": \"Fortell om fjorden.\"}], \"max_tokens\": 12, \"seed\": 3";
        var (greedyStatus, greedy) = await Post("v1/chat/completions", $"{{{Messages}, \"temperature\": 0}}");
        var (status, tiny) = await Post("v1/chat/completions", $"{{{Messages}, \"temperature\": {temperature}}}");
        Assert.Equal(200, greedyStatus);
        Assert.Equal(200, status);
        Assert.Equal(Content(greedy), Content(tiny));
    }

    private static string? Content(JsonElement body) => body.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString();

    // A chat or text completion of "Hei" with `fields` beside it, which must be a 400: its error object.
    private async Task<JsonElement> Refused(string path, string fields)
    {
        var (status, body) = await Post(path, path.Contains("chat", StringComparison.Ordinal)
            ? $"{{\"messages\": [{{\"role\": \"user\", \"content\": \"Hei\"}}], {fields}}}"
            : $"{{\"prompt\": \"Hei\", {fields}}}");
        Assert.Equal(400, status);
        return Error(body);
    }

    private async Task<(int Status, JsonElement Body)> Post(string path, string json)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new("Bearer", FullServer.Key);
        using var response = await server.Client.SendAsync(request);
        return ((int)response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
    }
}
