namespace Skald.Hub;

/// <summary>Download progress of one hub id: bytes received of the bytes to fetch, files done of the files to fetch.</summary>
/// <param name="Bytes">Bytes written to the cache so far (resumed bytes count as done).</param>
/// <param name="TotalBytes">Bytes of every file being fetched.</param>
/// <param name="Files">Files finished.</param>
/// <param name="TotalFiles">Files being fetched (files already cached are not counted).</param>
public readonly record struct HubProgress(long Bytes, long TotalBytes, int Files, int TotalFiles);
