namespace Skald.Serving;

/// <summary>
/// A request the server refuses, answered as OpenAI's API answers errors:
/// <c>{"error": {"message", "type", "param", "code"}}</c> with <see cref="Status"/>. Every 4xx carries a code (OpenAI's
/// SDKs print it beside the type): the one given, or the status's own (<see cref="DefaultCode"/>); either is an
/// <see cref="ApiErrorCode"/>, so no throw site can give a code README's list lacks.
/// </summary>
public sealed class ApiException(int status, string message, string type = "invalid_request_error", string? param = null,
    ApiErrorCode? code = null) : Exception(message)
{
    /// <summary>The HTTP status code.</summary>
    public int Status { get; } = status;

    /// <summary>OpenAI's error type: invalid_request_error, authentication_error, server_error.</summary>
    public string Type { get; } = type;

    /// <summary>The request field at fault, if any (e.g. "input", "dimensions").</summary>
    public string? Param { get; } = param;

    /// <summary>The machine-readable code (e.g. <see cref="ApiErrorCode.InvalidApiKey"/>); null only for a 5xx given none.</summary>
    public ApiErrorCode? ErrorCode { get; } = code ?? DefaultCode(status);

    /// <summary>The code as the answer spells it (e.g. "invalid_api_key", "invalid_value"); null only for a 5xx given none.</summary>
    public string? Code => ErrorCode?.Name;

    /// <summary>A 400 about request field <paramref name="param"/>: a value it does not take (code "invalid_value" unless given).</summary>
    public static ApiException BadRequest(string message, string? param = null, ApiErrorCode? code = null) =>
        new(400, message, "invalid_request_error", param, code ?? ApiErrorCode.InvalidValue);

    /// <summary>A 400 for field <paramref name="param"/> of the wrong JSON kind (a number for a string): code "invalid_type".</summary>
    public static ApiException WrongType(string message, string? param = null) => BadRequest(message, param, ApiErrorCode.InvalidType);

    /// <summary>A 400 for a required field the request lacks: code "missing_required_parameter".</summary>
    public static ApiException MissingParameter(string message, string? param = null) =>
        BadRequest(message, param, ApiErrorCode.MissingRequiredParameter);

    /// <summary>
    /// The 400 for a prompt the model refuses (<see cref="Skald.Models.Generation.PromptRefusedException"/>), with
    /// <paramref name="message"/> (its own, or one naming the prompt of a list): code "context_length_exceeded" when the
    /// refusal says the prompt exceeds the context (<see cref="Skald.Models.Generation.PromptRefusedException.ExceedsContext"/>,
    /// set where it is raised), else "invalid_value"; the field it leaves no room for, else <paramref name="param"/>.
    /// </summary>
    public static ApiException PromptRefused(Skald.Models.Generation.PromptRefusedException refusal, string param, string? message = null) =>
        BadRequest(message ?? refusal.Message, refusal.Field ?? param, refusal.ExceedsContext ? ApiErrorCode.ContextLengthExceeded : null);

    /// <summary>
    /// The code of a refusal with status <paramref name="status"/> given none: "unknown_url" for a 404 (every other 404
    /// gives its own), "request_timeout" for a 408 (a body too slow to arrive), "request_too_large" for a 413,
    /// "unsupported_media_type" for a 415, and OpenAI's "invalid_value" for any other 4xx; null for a server error.
    /// </summary>
    public static ApiErrorCode? DefaultCode(int status) => status switch
    {
        404 => ApiErrorCode.UnknownUrl,
        408 => ApiErrorCode.RequestTimeout,
        413 => ApiErrorCode.RequestTooLarge,
        415 => ApiErrorCode.UnsupportedMediaType,
        >= 400 and < 500 => ApiErrorCode.InvalidValue,
        _ => null,
    };

    /// <summary>
    /// Every code the server's 4xx answers carry (<see cref="ApiErrorCode.All"/>'s names), as README's Serve section
    /// lists them (<c>ErrorCodeTests</c> checks the two agree, and the request sweep that each answer's code is one of README's).
    /// </summary>
    public static IReadOnlyList<string> Codes { get; } = [.. ApiErrorCode.All.Select(c => c.Name)];
}
