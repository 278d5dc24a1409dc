namespace Skald.Tensors;

/// <summary>
/// A parallel body over the range [<paramref name="start"/>, <paramref name="end"/>) that reads its arguments from
/// <paramref name="state"/> instead of capturing them: written as a static lambda, it allocates nothing per call (a
/// lambda that captures locals allocates its closure and delegate on every call, even one that runs inline). Every
/// thread of a region reads the same state; a body must not write to it.
/// </summary>
public delegate void RangeBody<TState>(in TState state, int start, int end) where TState : struct;
