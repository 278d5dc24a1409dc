namespace Skald.Retrieval.Index;

/// <summary>
/// The number format a late-interaction index stores its token vectors in (<c>index build --precision</c> with a
/// ColBERT model; <see cref="IndexManifest.TokenPrecision"/>). Names in files and on the command line: float32,
/// float16, int8.
/// </summary>
public enum TokenPrecision
{
    /// <summary>The vectors as the model made them: 4 bytes a value (<c>tokens.f32</c>).</summary>
    Float32,

    /// <summary>IEEE binary16, rounded to nearest even: 2 bytes a value (<c>tokens.f16</c>).</summary>
    Float16,

    /// <summary>
    /// One signed byte a value and one float32 per vector (<c>tokens.i8</c>, <c>tokens.scales</c>): the vector's largest
    /// absolute value m and round(127 · x / m) (<see cref="Skald.Tensors.Kernels.MaxSimQuantized.QuantizeInt8"/>).
    /// </summary>
    Int8,

    /// <summary>
    /// ColBERTv2's residual compression, a PLAID index (<see cref="Plaid.ResidualCodec"/>): per vector an int32 centroid id
    /// (<c>tokens.cells</c>) and dim · bits / 8 bytes of bucket codes (<c>tokens.residuals</c>), with the codec
    /// (<c>plaid.codec</c>) and the centroids' inverted lists of rows (<c>plaid.ivf</c>) beside them; decoded vectors are approximate.
    /// </summary>
    Plaid,
}
