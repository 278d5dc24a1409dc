namespace Skald.Hub;

/// <summary>
/// Progress of one hub id's download (bytes received of the bytes to fetch, files done of the files to fetch) or of an
/// upload (<see cref="HubUploader"/>: large files' bytes sent of those the hub does not store yet).
/// </summary>
/// <param name="Bytes">Bytes written to the cache so far (resumed bytes count as done), or sent.</param>
/// <param name="TotalBytes">Bytes of every file being fetched, or of the large files to send.</param>
/// <param name="Files">Files finished.</param>
/// <param name="TotalFiles">Files being fetched (files already cached are not counted), or large files to send.</param>
public readonly record struct HubProgress(long Bytes, long TotalBytes, int Files, int TotalFiles);
