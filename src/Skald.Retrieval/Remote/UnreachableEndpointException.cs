namespace Skald.Retrieval.Remote;

/// <summary>
/// A connection to an endpoint that has never answered could not be made (refused, a host name that does not resolve, no
/// route): almost always a wrong address, so it is not retried (<see cref="EndpointHandler"/>). The message says why in
/// words for the user's line (the endpoint is not in it: the client puts its base URL first).
/// </summary>
public sealed class UnreachableEndpointException(string reason, HttpRequestException inner)
    : HttpRequestException(inner.HttpRequestError, reason, inner);
