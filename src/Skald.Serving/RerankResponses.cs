using Microsoft.AspNetCore.Http;
using Skald.Models.CrossEncoders;

namespace Skald.Serving;

/// <summary>
/// Writes the <c>POST /v1/rerank</c> answer as Jina's and llama.cpp's rerank APIs do: <c>{object: "list", model,
/// results: [{index, relevance_score, document: {text}}], usage: {prompt_tokens, total_tokens}}</c>, best first
/// (<c>document</c> only with return_documents).
/// </summary>
internal static class RerankResponses
{
    public static Task Results(HttpResponse response, RerankRequest request, IReadOnlyList<RankedDocument> ranked, long tokens, string model) =>
        ApiResponses.Streamed(response, w =>
        {
            w.WriteStartObject();
            w.WriteString("object", "list");
            w.WriteString("model", model);
            w.WriteStartArray("results");
            foreach (var r in ranked)
            {
                w.WriteStartObject();
                w.WriteNumber("index", r.Index);
                w.WriteNumber("relevance_score", r.Score);
                if (request.ReturnDocuments)
                {
                    w.WriteStartObject("document");
                    w.WriteString("text", request.Documents[r.Index]);
                    w.WriteEndObject();
                }
                w.WriteEndObject();
                if (w.BytesPending > 1 << 16) w.Flush();
            }
            w.WriteEndArray();
            ApiResponses.Usage(w, tokens);
            w.WriteEndObject();
        });
}
