namespace Skald.Tensors.Kernels;

/// <summary>
/// How <see cref="Attention"/> turns q·k into probabilities for query t and key s:
/// z = scale·q·k; with <see cref="SoftCap"/> c &gt; 0, z = c·tanh(z / c) (Gemma 2's attn_logit_softcapping);
/// then z + maskBias[b, s]; keys that <see cref="Causal"/> (s &gt; t) or the sliding <see cref="Window"/> w
/// (causal: t − s ≥ w; bidirectional: |t − s| ≥ w, transformers' sliding_window_bidirectional_overlay) exclude get
/// probability exactly 0; softmax over s.
/// </summary>
/// <param name="Scale">Multiplier of q·k (1/√D, or query_pre_attn_scalar^−½).</param>
/// <param name="Causal">Whether keys after the query are excluded (decoders; false for BERT and LLM2Vec's bidirectional mode).</param>
/// <param name="Window">Sliding window (0: none).</param>
/// <param name="SoftCap">Logit soft-capping c (0: none).</param>
public readonly record struct AttentionScoring(float Scale, bool Causal = false, int Window = 0, float SoftCap = 0f)
{
    /// <summary>Keys a query can attend to under the window: w (causal), 2w − 1 (bidirectional); 0 without a window.</summary>
    public int BandWidth => Window <= 0 ? 0 : Causal ? Window : 2 * Window - 1;

    /// <summary>The keys [Lo, Hi) query <paramref name="t"/> of a sequence of <paramref name="seq"/> may attend to.</summary>
    public (int Lo, int Hi) KeyRange(int t, int seq) =>
        (Window > 0 ? Math.Max(0, t - Window + 1) : 0, Causal ? t + 1 : Window > 0 ? Math.Min(seq, t + Window) : seq);

    /// <summary>Whether key <paramref name="s"/> may be attended to from query <paramref name="t"/>.</summary>
    public bool Allows(int t, int s) =>
        !(Causal && s > t) && (Window <= 0 || (Causal ? t - s < Window : Math.Abs(t - s) < Window));
}
