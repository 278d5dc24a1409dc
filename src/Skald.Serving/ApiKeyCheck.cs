using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Skald.Serving;

/// <summary>
/// The Bearer key check: both keys are hashed (SHA-256) and the hashes compared with
/// <see cref="CryptographicOperations.FixedTimeEquals"/>, so neither the key's bytes nor its length leak through timing.
/// </summary>
internal sealed class ApiKeyCheck(string? key)
{
    private readonly byte[]? expected = key is null ? null : SHA256.HashData(Encoding.UTF8.GetBytes(key));

    /// <summary>Throws a 401 <see cref="ApiException"/> unless the request carries the key (or no key is set).</summary>
    public void Require(HttpRequest request)
    {
        if (expected is null) return;
        string? header = request.Headers.Authorization;
        if (header is null || !header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            throw new ApiException(401, "no API key given: send it as 'Authorization: Bearer KEY'", "invalid_request_error", null, ApiErrorCode.MissingApiKey);
        var given = SHA256.HashData(Encoding.UTF8.GetBytes(header["Bearer ".Length..].Trim()));
        if (!CryptographicOperations.FixedTimeEquals(given, expected))
            throw new ApiException(401, "incorrect API key", "invalid_request_error", null, ApiErrorCode.InvalidApiKey);
    }
}
