using System.Text;
using System.Text.Json;
using static Skald.Serving.Tests.ServerFixture;

namespace Skald.Serving.Tests;

/// <summary>
/// A chat body nests as deep as its schemas do: response_format's json_schema with an array of objects (an ordinary
/// structured-outputs request) is ten levels deep in the body, which the other endpoints' limit of 8 refused as "not
/// valid JSON". Chat bodies may nest 64 deep (System.Text.Json's default); deeper is still a 400, never a crash.
/// </summary>
public sealed class NestedChatBodyTests(FullServer server) : IClassFixture<FullServer>
{
    private const string Ask = "\"messages\": [{\"role\": \"user\", \"content\": \"Hvem bor her?\"}], \"max_tokens\": 40";

    [Fact]
    public async Task AStructuredOutputSchemaWithAnArrayOfObjectsIsAnswered()
    {
        const string Schema = "{\"type\": \"object\", \"properties\": {\"people\": {\"type\": \"array\", \"items\": {\"type\": \"object\", " +
            "\"properties\": {\"name\": {\"type\": \"string\", \"maxLength\": 3}}, \"required\": [\"name\"], \"additionalProperties\": false}, \"maxItems\": 2}}, " +
            "\"required\": [\"people\"], \"additionalProperties\": false}";
        var (status, body) = await Post($"{{{Ask}, \"response_format\": {{\"type\": \"json_schema\", \"json_schema\": {{\"name\": \"p\", \"schema\": {Schema}}}}}}}");
        Assert.True(status == 200, body.ToString());
        string content = body.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()!;
        if (body.GetProperty("choices")[0].GetProperty("finish_reason").GetString() == "stop")
            Assert.Equal(JsonValueKind.Array, JsonDocument.Parse(content).RootElement.GetProperty("people").ValueKind);
    }

    [Fact]
    public async Task ABodyDeeperThan64IsA400NamingTheDepth()
    {
        // 70 nested arrays under an unknown field: only the parser's limit refuses it
        var (status, body) = await Post($"{{{Ask}, \"deep\": {new string('[', 70)}{new string(']', 70)}}}");
        Assert.Equal(400, status);
        Assert.Contains("more than 64 deep", Error(body).GetProperty("message").GetString());
    }

    [Fact]
    public async Task ASchemaNested30ObjectsDeepIsAnsweredOrRefusedNeverAFailure()
    {
        string schema = "{\"type\": \"string\"}";
        for (int i = 0; i < 30; i++)
            schema = $"{{\"type\": \"object\", \"properties\": {{\"a\": {schema}}}, \"required\": [\"a\"], \"additionalProperties\": false}}";
        var (status, body) = await Post($"{{{Ask}, \"response_format\": {{\"type\": \"json_schema\", \"json_schema\": {{\"name\": \"d\", \"schema\": {schema}}}}}}}");
        Assert.True(status is 200 or 400, body.ToString());
    }

    private async Task<(int Status, JsonElement Body)> Post(string json)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new("Bearer", FullServer.Key);
        using var response = await server.Client.SendAsync(request);
        return ((int)response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
    }
}
