using Microsoft.AspNetCore.Http;
using Skald.Retrieval.Index;

namespace Skald.Serving;

/// <summary>
/// Writes the <c>POST /v1/search</c> answer, shaped like OpenAI's lists: <c>{object: "list", data: [{object:
/// "search_result", index, row, id, score, scaled_score, document, source, start, end, title, text}], model, mode, fusion, similarity, usage}</c>
/// (<c>fusion</c> only for hybrid search, <c>similarity</c> only for a Euclidean or Manhattan index's dense or hybrid
/// search not reranked: <c>euclidean</c> or <c>manhattan</c>, whose negated distance the dense scores are, <c>scaled_score</c> only for a hybrid hit's fused score, <see cref="IndexHit.ScaledScore"/>,
/// not for one a cross-encoder reranked; the hit fields are those of <c>skald search --format json</c>).
/// </summary>
internal static class SearchResponses
{
    public static Task Results(HttpResponse response, SearchRequest request, IReadOnlyList<IndexHit> hits, long tokens, string model, string? distance = null) =>
        ApiResponses.Streamed(response, w =>
        {
            w.WriteStartObject();
            w.WriteString("object", "list");
            w.WriteStartArray("data");
            for (int i = 0; i < hits.Count; i++)
            {
                var h = hits[i];
                w.WriteStartObject();
                w.WriteString("object", "search_result");
                w.WriteNumber("index", i);
                w.WriteNumber("row", h.Row);
                w.WriteString("id", h.Record.Id);
                w.WriteNumber("score", h.Score);
                if (h.ScaledScore is { } scaled) w.WriteNumber("scaled_score", scaled);
                h.Record.WriteLocation(w);
                w.WriteEndObject();
                if (w.BytesPending > 1 << 16) w.Flush();
            }
            w.WriteEndArray();
            w.WriteString("model", model);
            w.WriteString("mode", request.Mode.ToString().ToLowerInvariant());
            if (request.Mode == SearchMode.Hybrid) w.WriteString("fusion", request.Fusion.Describe());
            if (distance is not null) w.WriteString("similarity", distance); // the index's Euclidean or Manhattan: dense scores are its negated distance
            ApiResponses.Usage(w, tokens);
            w.WriteEndObject();
        });
}
