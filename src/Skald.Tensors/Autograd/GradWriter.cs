namespace Skald.Tensors.Autograd;

/// <summary>Writes a gradient into <paramref name="destination"/> (overwriting it); see <see cref="Tape.WriteGrad"/>.</summary>
public delegate void GradWriter(Span<float> destination);
