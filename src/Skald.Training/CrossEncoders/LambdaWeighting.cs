namespace Skald.Training.CrossEncoders;

/// <summary>The weighting scheme of <see cref="LambdaLoss"/> (<c>loss.weighting_scheme</c>), Wang et al. 2018's.</summary>
public enum LambdaWeighting
{
    /// <summary><c>none</c>: every pair weighs 1 (RankNet).</summary>
    None,

    /// <summary><c>ndcg_loss1</c>: w_ij = G_i / D_i, over every pair of documents (not only differently labelled ones).</summary>
    NdcgLoss1,

    /// <summary><c>ndcg_loss2</c>: w_ij = δ_|i−j|·|G_i − G_j| with δ_d = |1/D_(d−1) − 1/D_d| (positions from 0).</summary>
    NdcgLoss2,

    /// <summary><c>lambda_rank</c>: w_ij = |1/D_i − 1/D_j|·|G_i − G_j|.</summary>
    LambdaRank,

    /// <summary><c>ndcg_loss2pp</c> (the default): μ·NDCGLoss2 + LambdaRank.</summary>
    NdcgLoss2PP,
}
