using System.Diagnostics;
using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Skald.Serving;

/// <summary>
/// <c>skald serve --access-log</c>: one line per request, written when it has been answered
/// (<see cref="EmbeddingServiceOptions.AccessLog"/>): UTC time, method, path, status, milliseconds.
/// </summary>
internal static class AccessLog
{
    /// <summary>Adds the logging around every later step of <paramref name="app"/>'s pipeline (404s and 405s included).</summary>
    public static void Use(WebApplication app, TextWriter writer)
    {
        var log = TextWriter.Synchronized(writer); // requests end on many threads; each line is written whole
        app.Use(async (ctx, next) =>
        {
            long start = Stopwatch.GetTimestamp();
            bool threw = false;
            try
            {
                await next(ctx).ConfigureAwait(false);
            }
            catch
            {
                threw = true; // Kestrel answers 500 to an exception that escapes before the response started
                throw;
            }
            finally
            {
                log.WriteLine(Line(DateTime.UtcNow, ctx.Request.Method, ctx.Request.Path.Value ?? "/",
                    Status(ctx, threw), Stopwatch.GetElapsedTime(start).TotalMilliseconds));
            }
        });
    }

    // The status the client got: 499 (nginx's word) for a request its client left before an answer started, 500 for
    // one an exception ended before that (the response's own status still says 200 then), else the response's.
    private static int Status(HttpContext ctx, bool threw) =>
        ctx.Response.HasStarted ? ctx.Response.StatusCode
        : ctx.RequestAborted.IsCancellationRequested ? 499
        : threw ? 500
        : ctx.Response.StatusCode;

    /// <summary>One request's line: <c>TIME METHOD PATH STATUS MS ms</c>.</summary>
    internal static string Line(DateTime utc, string method, string path, int status, double milliseconds) =>
        string.Create(CultureInfo.InvariantCulture, $"{utc:O} {method} {path} {status} {milliseconds:F1} ms");
}
