namespace Skald.Serving;

/// <summary>
/// A machine-readable code of the server's error answers (OpenAI's error object's <c>"code"</c>, which OpenAI's SDKs
/// print beside the type). The only values an <see cref="ApiException"/> takes: the constructor is private, so a
/// refusal cannot carry a code that <see cref="All"/> (README's Serve section's list) lacks.
/// </summary>
public sealed class ApiErrorCode
{
    private ApiErrorCode(string name) => Name = name;

    /// <summary>The code as the JSON answer spells it (e.g. <c>invalid_value</c>).</summary>
    public string Name { get; }

    /// <summary>A value the field does not take (OpenAI's default code for a 400).</summary>
    public static ApiErrorCode InvalidValue { get; } = new("invalid_value");

    /// <summary>A field of the wrong JSON kind (a number for a string).</summary>
    public static ApiErrorCode InvalidType { get; } = new("invalid_type");

    /// <summary>A required field the request lacks.</summary>
    public static ApiErrorCode MissingRequiredParameter { get; } = new("missing_required_parameter");

    /// <summary>A body that is not JSON (or nests deeper than the endpoint reads).</summary>
    public static ApiErrorCode InvalidJson { get; } = new("invalid_json");

    /// <summary>An input or prompt longer than the model's context.</summary>
    public static ApiErrorCode ContextLengthExceeded { get; } = new("context_length_exceeded");

    /// <summary>A model id this server does not serve.</summary>
    public static ApiErrorCode ModelNotFound { get; } = new("model_not_found");

    /// <summary>A path with no endpoint (404).</summary>
    public static ApiErrorCode UnknownUrl { get; } = new("unknown_url");

    /// <summary>A known path asked with a method it does not take (405).</summary>
    public static ApiErrorCode MethodNotAllowed { get; } = new("method_not_allowed");

    /// <summary>A body too slow to arrive (408).</summary>
    public static ApiErrorCode RequestTimeout { get; } = new("request_timeout");

    /// <summary>A body past the server's limit (413).</summary>
    public static ApiErrorCode RequestTooLarge { get; } = new("request_too_large");

    /// <summary>A body sent as something other than JSON (415).</summary>
    public static ApiErrorCode UnsupportedMediaType { get; } = new("unsupported_media_type");

    /// <summary>A Content-Encoding the server does not decode (415).</summary>
    public static ApiErrorCode UnsupportedContentEncoding { get; } = new("unsupported_content_encoding");

    /// <summary>No API key given where one is required (401).</summary>
    public static ApiErrorCode MissingApiKey { get; } = new("missing_api_key");

    /// <summary>A wrong API key (401).</summary>
    public static ApiErrorCode InvalidApiKey { get; } = new("invalid_api_key");

    /// <summary>Every code, in README's order.</summary>
    public static IReadOnlyList<ApiErrorCode> All { get; } =
    [
        InvalidValue, InvalidType, MissingRequiredParameter, InvalidJson, ContextLengthExceeded, ModelNotFound, UnknownUrl,
        MethodNotAllowed, RequestTimeout, RequestTooLarge, UnsupportedMediaType, UnsupportedContentEncoding, MissingApiKey, InvalidApiKey,
    ];

    /// <inheritdoc />
    public override string ToString() => Name;
}
