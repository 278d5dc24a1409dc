using Microsoft.Extensions.AI;

namespace Skald.Serving;

/// <summary>A parsed <c>POST /v1/completions</c> body.</summary>
/// <param name="Prompts">The texts to continue, each one choice (index = its place in the list).</param>
/// <param name="Options">Sampling, length and stop options as Microsoft.Extensions.AI carries them.</param>
/// <param name="Stream">Whether to answer as server-sent events (<c>stream: true</c>).</param>
/// <param name="IncludeUsage">With <paramref name="Stream"/>: a last chunk with the usage (<c>stream_options.include_usage</c>).</param>
/// <param name="Model">The model the client named, if any.</param>
internal sealed record CompletionRequest(IReadOnlyList<string> Prompts, ChatOptions Options, bool Stream, bool IncludeUsage, string? Model);
