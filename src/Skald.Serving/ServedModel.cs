namespace Skald.Serving;

/// <summary>A model as <c>GET /v1/models</c> lists it.</summary>
/// <param name="Id">The id clients name it by.</param>
/// <param name="Created">When it started being served (Unix seconds).</param>
internal sealed record ServedModel(string Id, long Created);
