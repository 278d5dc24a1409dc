namespace Skald.Models.MaskedLm;

/// <summary>
/// Where a <see cref="DenseNormMaskedLmHead"/> keeps its tensors in the checkpoint (keys at its top level).
/// </summary>
/// <param name="Dense">Prefix of the dense layer: <c>{Dense}.weight</c> [C, C] and <c>{Dense}.bias</c> [C].</param>
/// <param name="Norm">Prefix of the LayerNorm: <c>{Norm}.weight</c> [C] and <c>{Norm}.bias</c> [C].</param>
/// <param name="DecoderBias">Key of the decoder's bias [V]; null when the head has none.</param>
/// <param name="DenseBias">Whether the dense layer has its bias.</param>
/// <param name="NormBias">Whether the LayerNorm has its bias.</param>
internal sealed record DenseNormKeys(string Dense, string Norm, string? DecoderBias, bool DenseBias = true, bool NormBias = true);
