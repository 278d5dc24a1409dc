using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using static Skald.Serving.Tests.ServerFixture;

namespace Skald.Serving.Tests;

/// <summary>
/// A body declared as another media type than JSON's that is no JSON object (a form, plain text, XML) is a 415 naming
/// the type it was sent as, not a 400 about its first byte; a JSON object is read whatever its Content-Type says (curl
/// -d labels it a form), and a body declared as JSON that is not is still the 400 naming the byte.
/// </summary>
public sealed class ContentTypeTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    [Theory]
    [InlineData("application/x-www-form-urlencoded", "input=Hei", 415)]
    [InlineData("multipart/form-data; boundary=x", "--x\r\nContent-Disposition: form-data; name=\"input\"\r\n\r\nHei\r\n--x--\r\n", 415)]
    [InlineData("text/plain", "Hei", 415)]
    [InlineData("application/xml", "<input>Hei</input>", 415)]
    [InlineData("text/plain", "", 415)]
    [InlineData("application/x-www-form-urlencoded", "{\"input\": \"Hei\"}", 200)]
    [InlineData("text/plain; charset=utf-8", " \n{\"input\": \"Hei\"}", 200)]
    [InlineData("application/vnd.api+json", "{\"input\": \"Hei\"}", 200)]
    [InlineData("application/json", "input=Hei", 400)]
    [InlineData(null, "input=Hei", 400)]
    public async Task ABodyThatIsNeitherDeclaredNorWrittenAsJsonIs415NamingItsType(string? type, string body, int expected)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/embeddings") { Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body)) };
        if (type is not null) request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(type);
        using var response = await fixture.Client.SendAsync(request);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == expected, text);
        if (expected == 200) return;
        var error = Error(JsonDocument.Parse(text).RootElement);
        string message = error.GetProperty("message").GetString()!;
        if (expected == 415)
        {
            Assert.Equal("unsupported_media_type", error.GetProperty("code").GetString());
            Assert.Equal($"the request body was sent as {type!.Split(';')[0]}, not JSON: send a JSON object with Content-Type: application/json", message);
        }
        else Assert.StartsWith("the request body is not valid JSON at byte 1 (", message);
        Assert.Equal(200, (await PostAsync(fixture.Client, "{\"input\": \"Hei\"}")).Status);
    }
}
