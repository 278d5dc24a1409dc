namespace Skald.Hub;

/// <summary>Where the git-lfs batch answer says a large file's bytes go.</summary>
/// <param name="Href">The upload address (a signed storage URL, or for a multipart upload the completion address).</param>
/// <param name="Header">The action's header: <c>chunk_size</c> and the numbered part addresses of a multipart upload.</param>
/// <param name="Verify">The address to confirm the upload at, when the hub asks for it.</param>
internal sealed record LfsAction(string Href, IReadOnlyDictionary<string, string> Header, string? Verify);
