using Skald.Tensors.Autograd;

namespace Skald.Models.Modules;

/// <summary>
/// What a SparseAutoEncoder's training forward (<see cref="SparseAutoEncoder.Train"/>) gives the CSR loss, each [B, ·]
/// on the recording tape: the dense input, the k code (the embedding) and the reconstructions from the k, 4k and
/// auxiliary codes (sentence-transformers' <c>sentence_embedding_backbone</c>, <c>sentence_embedding</c>,
/// <c>decoded_embedding_k</c>, <c>decoded_embedding_4k</c>, <c>decoded_embedding_aux</c>).
/// </summary>
/// <param name="Backbone">x [B, D]: the embedding the autoencoder reads.</param>
/// <param name="Latents">z_k [B, H]: the sparse embedding.</param>
/// <param name="ReconstructionK">x̂ from z_k [B, D].</param>
/// <param name="Reconstruction4K">x̂ from the 4k code [B, D].</param>
/// <param name="ReconstructionAux">x̂ from the auxiliary code [B, D].</param>
public sealed record AutoEncoderPass(Variable Backbone, Variable Latents, Variable ReconstructionK, Variable Reconstruction4K,
    Variable ReconstructionAux);
