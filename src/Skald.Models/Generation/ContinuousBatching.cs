namespace Skald.Models.Generation;

/// <summary>
/// Lets requests join a running batch of <see cref="Generator"/> (continuous batching, as vLLM and TGI do): between two
/// decoding steps the generator offers each free row — one whose request finished or was abandoned, or one of the
/// <see cref="Rows"/> the batch has not used yet — to <see cref="Next"/>. A request it returns has its prompt prefilled
/// apart, whole or, with <see cref="PrefillChunk"/>, in chunks between the next steps (the prompts of all requests taken
/// between two steps run as one forward pass over their concatenated tokens, each attending to its own), its keys and values put into that
/// row right-aligned before the cache's filled columns (as a left-padded row), and from the next step it decodes with
/// the others: its tokens are those it gets alone, up to the order of floating-point sums. The cache is allocated with
/// <see cref="Rows"/> rows of <see cref="Capacity"/> columns, so that late requests find room. Without a KV cache
/// (<see cref="GenerationOptions.UseCache"/> false) no request joins.
/// </summary>
public sealed record ContinuousBatching
{
    /// <summary>Most rows decoded at once (the cache's rows; at least the batch's own prompts).</summary>
    public required int Rows { get; init; }

    /// <summary>
    /// Token columns per row of the cache (at least the batch's longest prompt + most new tokens; at most the model's
    /// context).
    /// </summary>
    public required int Capacity { get; init; }

    /// <summary>
    /// Most tokens of joining prompts prefilled between two steps (chunked prefill, as vLLM does): a longer prompt is run
    /// in chunks of at most this many tokens, one chunk between two steps, so that the rows already decoding go on
    /// producing tokens meanwhile; it decodes from the step after its last chunk. 0 (default): each joining prompt whole
    /// between two steps, which hold the batch for as long as it takes.
    /// </summary>
    public int PrefillChunk { get; init; }

    /// <summary>
    /// Most key/value positions (rows × columns) the batch's cache and the joining prompts' prefill cache hold together
    /// (a server's token budget); 0 (default): no bound. The prefill cache gets what the batch's cache leaves: a pass
    /// prefills no more prompts than their rows × longest prompt fit there (<see cref="Next"/> is offered shorter
    /// prompts, or none, until the next step), so many long prompts joining at once take several steps instead of
    /// memory beyond the budget; with none left, no request joins. The prefill cache's buffers are allocated once with
    /// all it gets (at the first join; at most the batch's rows × columns), so it never holds two caches while it grows.
    /// A batch whose own cache is larger (a single request beyond a server's budget) has no joins, and its cache is let
    /// go when the call ends, as is one kept from an earlier call beyond this one's budget and need.
    /// </summary>
    public long CachePositions { get; init; }

    /// <summary>
    /// Asked between steps for a free row: (row, longest prompt that fits, most new tokens that fit) → the request that
    /// takes it, or null when none is waiting that fits (then no other row is asked until the next step). A prompt fits
    /// when it is no longer than the columns filled so far, and with <see cref="CachePositions"/> when the prompts of the
    /// pass, with it, fit the prefill cache's share of them; new tokens fit when they are no more than the columns of
    /// <see cref="Capacity"/> left once a prompt of that longest length is prefilled (with <see cref="PrefillChunk"/>, the
    /// steps that run during its chunks fill columns too; a larger cache kept from an earlier batch, or one whose rows
    /// run past the context beside a long prompt, offers no more than the context).
    /// Called on the decoding thread; it should return at once. Rows are offered while the budget of prompt tokens
    /// between two steps lasts (all of them without <see cref="PrefillChunk"/>), and the prompts taken are prefilled
    /// together; one cut by the budget goes on after the next step, and while it does no row is offered.
    /// </summary>
    public required Func<int, int, int, GenerationJoin?> Next { get; init; }
}
