using System.Net.Http.Headers;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using static Skald.Serving.Tests.ServerFixture;

namespace Skald.Serving.Tests;

/// <summary>
/// <c>skald serve --access-log</c> (<see cref="EmbeddingServiceOptions.AccessLog"/>) against a real server on loopback:
/// one line per request once answered, whatever route and status (an embedding, a malformed body, an unknown path, a
/// method a known path does not take, the health check), with the UTC time, method, path, status and milliseconds, and
/// nothing of a body or key. Read after the server has stopped, which waits for every request's line.
/// </summary>
public sealed class AccessLogTests
{
    private static readonly Regex LineShape = new(@"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z) (GET|POST|HEAD) (/\S*) (\d{3}) (\d+\.\d) ms$");

    [Fact]
    public async Task EachRequestGetsOneLineWithItsStatusAndNoSecrets()
    {
        var log = new StringWriter();
        var server = await StartAsync(new EmbeddingServiceOptions { AccessLog = log, ApiKey = "hemmelig-nokkel" });
        await using (server)
        {
            using var client = new HttpClient { BaseAddress = server.Address, Timeout = TimeSpan.FromSeconds(60) };
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "hemmelig-nokkel");
            Assert.Equal(200, await Post(client, "v1/embeddings?trace=1", "{\"input\": \"hemmelig tekst\"}"));
            Assert.Equal(400, await Post(client, "v1/embeddings", "{\"input\": "));
            Assert.Equal(404, (int)(await client.GetAsync("v1/nowhere")).StatusCode);
            Assert.Equal(405, (int)(await client.GetAsync("v1/embeddings")).StatusCode);
            Assert.Equal(200, (int)(await client.GetAsync("health")).StatusCode);
        }
        string text = log.ToString();
        Assert.DoesNotContain("hemmelig", text, StringComparison.Ordinal);
        Assert.DoesNotContain("trace", text, StringComparison.Ordinal);
        var lines = text.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        var parsed = lines.Select(l => LineShape.Match(l)).ToArray();
        Assert.All(parsed.Zip(lines), p => Assert.True(p.First.Success, $"not an access-log line: {p.Second}"));
        Assert.Equal(
            ["POST /v1/embeddings 200", "POST /v1/embeddings 400", "GET /v1/nowhere 404", "GET /v1/embeddings 405", "GET /health 200"],
            parsed.Select(m => $"{m.Groups[2].Value} {m.Groups[3].Value} {m.Groups[4].Value}"));
        Assert.All(parsed, m => Assert.InRange(DateTime.Parse(m.Groups[1].Value, null, System.Globalization.DateTimeStyles.RoundtripKind),
            DateTime.UtcNow.AddMinutes(-10), DateTime.UtcNow));
    }

    [Fact]
    public async Task ARequestAnExceptionEndsIsLoggedWithThe500TheClientGot()
    {
        var log = new StringWriter();
        var builder = Microsoft.AspNetCore.Builder.WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        await using var app = builder.Build();
        AccessLog.Use(app, log);
        app.MapGet("/boom", (Func<string>)(() => throw new InvalidOperationException("a handler's own failure")));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
            .Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses.Single();
        using (var client = new HttpClient { BaseAddress = new Uri(address), Timeout = TimeSpan.FromSeconds(60) })
            Assert.Equal(500, (int)(await client.GetAsync("boom")).StatusCode);
        await app.StopAsync();
        var line = Assert.Single(log.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
        var match = LineShape.Match(line);
        Assert.True(match.Success, line);
        Assert.Equal("GET /boom 500", $"{match.Groups[2].Value} {match.Groups[3].Value} {match.Groups[4].Value}");
    }

    private static async Task<int> Post(HttpClient client, string path, string json)
    {
        using var response = await client.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));
        return (int)response.StatusCode;
    }
}
