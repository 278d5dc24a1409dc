namespace Skald.Tensors.Kernels;

/// <summary>
/// Coefficients of the float erf (<see cref="VectorMath.Erf(float)"/>): 16 pieces of width 1/4 over u = |x| in [0, 4),
/// erf(u) ≈ C0[i] + C1[i]·t + … + C5[i]·t⁵ with s = 4u, i = ⌊s⌋ and t = s − i − 1/2 in [−1/2, 1/2] (piece 0: t = s
/// in [0, 1) and C0 = 0, so erf keeps its relative accuracy near 0); u ≥ 4 reads piece 15 at t = 1/2 (erf(4) rounds
/// to 1). Fitted by scripts/fit_erf_table.py (minimax-weighted least squares on each piece, each coefficient rounded to
/// float in turn and the rest refitted); evaluated by Horner in float FMAs the result is within 6e-8 of erf (abs) and
/// 1.6e-7 relative. Column k is the k-th table so that a vector's 16 lanes pick their coefficients with one vpermps.
/// </summary>
internal static class ErfTable
{
    /// <summary>Constant terms.</summary>
    internal static ReadOnlySpan<float> C0 => [0f, 0.404116899f, 0.623240888f, 0.784075081f, 0.888388216f, 0.948170066f, 0.978443742f, 0.99199003f, 0.997345984f, 0.999217033f, 0.999794602f, 0.999952137f, 0.999990106f, 0.999998212f, 0.999999702f, 0.99999994f];

    /// <summary>t coefficients.</summary>
    internal static ReadOnlySpan<float> C1 => [0.282094777f, 0.245088205f, 0.190874889f, 0.131186262f, 0.0795684904f, 0.0425899439f, 0.0201180652f, 0.00838645734f, 0.0030852051f, 0.0010016195f, 0.000286968774f, 7.25570717e-05f, 1.61896714e-05f, 3.18793514e-06f, 5.53980044e-07f, 8.49555875e-08f];

    /// <summary>t² coefficients.</summary>
    internal static ReadOnlySpan<float> C2 => [6.45473165e-07f, -0.0229763892f, -0.0298240576f, -0.0286975559f, -0.0223782808f, -0.0146402707f, -0.00817333441f, -0.00393030001f, -0.00163942459f, -0.000593787525f, -0.000187612677f, -5.18978704e-05f, -1.2719619e-05f, -3.54942858e-06f, -4.10311628e-07f, 4.59754119e-07f];

    /// <summary>t³ coefficients.</summary>
    internal static ReadOnlySpan<float> C3 => [-0.00588135887f, -0.00366997696f, -0.000869962911f, 0.00145188835f, 0.00253828871f, 0.00246777595f, 0.00179438817f, 0.00105377403f, 0.000516213768f, 0.000214538944f, 7.6411714e-05f, 2.3476121e-05f, 6.24977656e-06f, 1.44641228e-06f, 2.91716816e-07f, 5.13671807e-08f];

    /// <summary>t⁴ coefficients.</summary>
    internal static ReadOnlySpan<float> C4 => [9.96275776e-06f, 0.000645179534f, 0.000686247193f, 0.000440657459f, 0.00010878763f, -0.000117883028f, -0.000191853687f, -0.000168230763f, -0.000101445454f, -5.51850717e-05f, -2.41273392e-05f, -8.42984718e-06f, -1.92017274e-06f, 2.8730783e-06f, -4.90891296e-07f, -2.19061826e-06f];

    /// <summary>t⁵ coefficients.</summary>
    internal static ReadOnlySpan<float> C5 => [0.000102349914f, 4.44483812e-05f, -2.62867179e-05f, -6.51920927e-05f, -5.96357786e-05f, -2.99140665e-05f, -2.20040874e-06f, 1.10868914e-05f, 1.21575458e-05f, 8.16531519e-06f, 4.13433236e-06f, 1.68520944e-06f, 5.6964825e-07f, 1.62293261e-07f, 3.9392102e-08f, 8.20242185e-09f];
}
