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
            try
            {
                await next(ctx).ConfigureAwait(false);
            }
            finally
            {
                log.WriteLine(Line(DateTime.UtcNow, ctx.Request.Method, ctx.Request.Path.Value ?? "/",
                    ctx.RequestAborted.IsCancellationRequested && !ctx.Response.HasStarted ? 499 : ctx.Response.StatusCode,
                    Stopwatch.GetElapsedTime(start).TotalMilliseconds));
            }
        });
    }

    /// <summary>One request's line: <c>TIME METHOD PATH STATUS MS ms</c>.</summary>
    internal static string Line(DateTime utc, string method, string path, int status, double milliseconds) =>
        string.Create(CultureInfo.InvariantCulture, $"{utc:O} {method} {path} {status} {milliseconds:F1} ms");
}
