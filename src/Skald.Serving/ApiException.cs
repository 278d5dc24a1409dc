namespace Skald.Serving;

/// <summary>
/// A request the server refuses, answered as OpenAI's API answers errors:
/// <c>{"error": {"message", "type", "param", "code"}}</c> with <see cref="Status"/>.
/// </summary>
public sealed class ApiException(int status, string message, string type = "invalid_request_error", string? param = null,
    string? code = null) : Exception(message)
{
    /// <summary>The HTTP status code.</summary>
    public int Status { get; } = status;

    /// <summary>OpenAI's error type: invalid_request_error, authentication_error, server_error.</summary>
    public string Type { get; } = type;

    /// <summary>The request field at fault, if any (e.g. "input", "dimensions").</summary>
    public string? Param { get; } = param;

    /// <summary>A machine-readable code, if any (e.g. "invalid_api_key").</summary>
    public string? Code { get; } = code;

    /// <summary>A 400 about request field <paramref name="param"/>.</summary>
    public static ApiException BadRequest(string message, string? param = null, string? code = null) =>
        new(400, message, "invalid_request_error", param, code);
}
