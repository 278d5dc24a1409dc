using Skald.Models.Architectures;

namespace Skald.Models.Generation;

/// <summary>
/// The token batches of <see cref="Generator"/>'s forward passes: the left-padded prompts of the first step, one token
/// per row for every later step, and, without a cache, the running rows' prompts with every token chosen so far.
/// </summary>
internal static class StepBatches
{
    /// <summary>One real token per row of <paramref name="batch"/> rows, its ids to be filled in.</summary>
    public static TokenBatch OneToken(int batch) =>
        new(new int[batch], Enumerable.Repeat(1, batch).ToArray(), new int[batch], batch, 1);

    /// <summary><paramref name="prompts"/> left-padded with <paramref name="padId"/> to <paramref name="t0"/> tokens.</summary>
    public static TokenBatch LeftPad(IReadOnlyList<IReadOnlyList<int>> prompts, int t0, int padId)
    {
        int batch = prompts.Count;
        var ids = new int[batch * t0];
        var mask = new int[batch * t0];
        for (int b = 0; b < batch; b++)
        {
            int pad = t0 - prompts[b].Count;
            for (int t = 0; t < t0; t++)
            {
                ids[b * t0 + t] = t < pad ? padId : prompts[b][t - pad];
                mask[b * t0 + t] = t < pad ? 0 : 1;
            }
        }
        return new TokenBatch(ids, mask, new int[batch * t0], batch, t0);
    }

    /// <summary>
    /// The no-cache reference's input: for each running row (slot by slot: <paramref name="running"/>), its prompt as
    /// left-padded in <paramref name="prompt"/> + the <paramref name="n"/> tokens it has chosen (a row that is done has left).
    /// </summary>
    public static TokenBatch Extend(TokenBatch prompt, DecodingRow[] rows, RunningRows running, int n)
    {
        int batch = running.Count, t = prompt.Seq + n;
        var ids = new int[batch * t];
        var mask = new int[batch * t];
        for (int i = 0; i < batch; i++)
        {
            int b = running.RowAt(i);
            for (int j = 0; j < prompt.Seq; j++)
            {
                ids[i * t + j] = prompt.Ids[b * prompt.Seq + j];
                mask[i * t + j] = prompt.Mask[b * prompt.Seq + j];
            }
            for (int j = 0; j < n; j++) (ids[i * t + prompt.Seq + j], mask[i * t + prompt.Seq + j]) = (rows[b].Generated[j], 1);
        }
        return new TokenBatch(ids, mask, new int[batch * t], batch, t);
    }
}
