namespace Skald.Hub;

/// <summary>
/// What the hub says about one file at a commit (huggingface_hub's HfFileMetadata): its ETag (the blob's name: the
/// sha256 of an LFS file, the git object id of a small one), size, and where to download it from (the resolve URL,
/// or the absolute address a redirect named).
/// </summary>
/// <param name="Name">The '/'-separated file name in the repository.</param>
/// <param name="Etag">The normalised ETag (no quotes, no <c>W/</c>).</param>
/// <param name="Size">Bytes.</param>
/// <param name="Location">The URL to GET.</param>
/// <param name="SendToken">False when <see cref="Location"/> is on another host (a signed CDN address).</param>
internal sealed record HubFile(string Name, string Etag, long Size, Uri Location, bool SendToken);
