using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Skald.Serving;

/// <summary>
/// Reads a request body up to a limit; a larger one (declared or sent, or once decompressed) is a 413
/// <see cref="ApiException"/>, and one the client's framing leaves unreadable (cut short, a bad chunk, too slow) or
/// whose Content-Encoding does not decode (the server's request decompression: gzip, deflate, br) a 4xx; a
/// Content-Encoding left undecoded (one the decompression has no decoder for, or several stacked) is a 415 naming it,
/// never read as plain JSON, and so is a body declared as another media type than JSON's (a form, plain text) that is
/// not a JSON object (one that is, is read: curl -d labels its JSON a form).
/// </summary>
internal static class RequestBody
{
    /// <summary>The encodings the server's request decompression decodes, as a 415's <c>Accept-Encoding</c> lists them.</summary>
    public const string Decoded = "gzip, deflate, br";

    public static async Task<ReadOnlyMemory<byte>> ReadAsync(HttpRequest request, long limit)
    {
        // The body is held in one array: a larger limit (long.MaxValue for none) is the most one can hold.
        limit = Math.Min(limit, Array.MaxLength);
        if (Undecoded(request) is { } encoding)
        {
            throw new ApiException(StatusCodes.Status415UnsupportedMediaType,
                $"the request body's Content-Encoding \"{encoding}\" is not one this server decodes; send the body as it is or as one of {Decoded}",
                "invalid_request_error", null, ApiErrorCode.UnsupportedContentEncoding);
        }
        if (request.ContentLength > limit) throw TooLarge(limit);
        // The server's own cap (Kestrel's 30 MB default, or a host app's) must not cut in first with its own answer.
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } cap)
            cap.MaxRequestBodySize = limit + 1;
        var buffer = new MemoryStream();
        var chunk = new byte[81920];
        try
        {
            int n;
            while ((n = await request.Body.ReadAsync(chunk, request.HttpContext.RequestAborted).ConfigureAwait(false)) > 0)
            {
                buffer.Write(chunk, 0, n);
                if (buffer.Length > limit) throw TooLarge(limit);
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw TooLarge(limit);
        }
        catch (Exception e) when (e is InvalidDataException or InvalidOperationException)
        {
            // A body that is not the gzip / deflate / brotli stream its Content-Encoding says (those decoders' errors).
            throw new ApiException(StatusCodes.Status400BadRequest, $"the request body could not be decompressed: {e.Message}");
        }
        catch (BadHttpRequestException e)
        {
            // The client's framing (a body shorter than its Content-Length, a broken chunk, a body too slow to arrive):
            // its mistake, answered with the server's own status for it (400, 408), not a server error.
            throw new ApiException(e.StatusCode is >= 400 and < 500 ? e.StatusCode : StatusCodes.Status400BadRequest,
                $"the request body could not be read: {e.Message}");
        }
        catch (IOException e) when (!request.HttpContext.RequestAborted.IsCancellationRequested)
        {
            // Framing Kestrel refuses with a plain IOException rather than its BadHttpRequestException (a chunk size
            // too large to be a number, "ffffffffffffffff"): the client's mistake too. A client gone away is the caller's 499.
            throw new ApiException(StatusCodes.Status400BadRequest, $"the request body could not be read: {e.Message}");
        }
        var body = buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
        if (NotJson(request, body.Span) is { } type)
        {
            throw new ApiException(StatusCodes.Status415UnsupportedMediaType,
                $"the request body was sent as {type}, not JSON: send a JSON object with Content-Type: application/json",
                "invalid_request_error", null, ApiErrorCode.UnsupportedMediaType);
        }
        return body;
    }

    // The media type a body was declared as when it is not JSON's and the body is no JSON object either (a form, plain
    // text): every endpoint reads a JSON object. One that starts as an object is read whatever its Content-Type says, as
    // curl -d sends JSON labelled application/x-www-form-urlencoded.
    private static string? NotJson(HttpRequest request, ReadOnlySpan<byte> body)
    {
        if (string.IsNullOrWhiteSpace(request.ContentType)) return null;
        string type = request.ContentType.Split(';')[0].Trim();
        if (type.Equals("application/json", StringComparison.OrdinalIgnoreCase) || type.Equals("text/json", StringComparison.OrdinalIgnoreCase)
            || type.EndsWith("+json", StringComparison.OrdinalIgnoreCase))
            return null;
        if (body.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) body = body[3..];
        body = body.TrimStart(" \t\r\n"u8);
        return body.IsEmpty || body[0] != (byte)'{' ? type : null;
    }

    // The request decompression removes the Content-Encoding it decoded: what is left (but "identity", no encoding at
    // all) was not decoded, and the body is not the JSON it would be read as.
    private static string? Undecoded(HttpRequest request)
    {
        string header = request.Headers.ContentEncoding.ToString();
        foreach (var part in header.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!part.Equals("identity", StringComparison.OrdinalIgnoreCase)) return header.Trim();
        }
        return null;
    }

    private static ApiException TooLarge(long limit) =>
        new(413, $"the request body is larger than the server's limit of {limit} bytes; send fewer or shorter inputs per request",
            "invalid_request_error", "input", ApiErrorCode.RequestTooLarge);
}
