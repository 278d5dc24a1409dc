namespace Skald.Tensors.Autograd;

/// <summary>Layers of a stack: freed after each in inference, checkpointed (recomputed in backward) when asked.</summary>
public sealed partial class Tape
{
    /// <summary>
    /// One layer of a stack, y = <paramref name="layer"/>(this, x, state), run as the pass needs it: not recording, its
    /// activations are freed after it (<see cref="Keep"/>); recording, it is recorded as usual, or with
    /// <see cref="Checkpointing"/> run without recording and recomputed in backward. A cancelled <see cref="Cancellation"/>
    /// throws <see cref="OperationCanceledException"/> before the layer starts.
    /// Pass a static lambda and a struct state, so a pass that does not record builds no closure. With
    /// <paramref name="inputDies"/> (the caller reads <paramref name="x"/> no more after the layer), a pass that does
    /// not record frees x with the layer's activations when it was the last block before the layer's, and y takes its
    /// place: a stack of layers then holds one hidden state between layers, not one more a layer.
    /// </summary>
    public Variable Layer<TState>(Variable x, TState state, Func<Tape, Variable, TState, Variable> layer, bool inputDies = false)
    {
        if (!recomputing)
        {
            LayerStarting?.Invoke();
            Cancellation.ThrowIfCancellationRequested();
        }
        if (!Recording)
        {
            var mark = Mark();
            var y = layer(this, x, state);
            if (inputDies && !ReferenceEquals(x, y)) Arena.TryMarkOf(x.Data, mark, out mark);
            return Keep(mark, y);
        }
        return Checkpointing && !recomputing ? Checkpoint(x, state, layer) : layer(this, x, state);
    }

    private bool recomputing;

    /// <summary>
    /// A checkpointed layer: run without recording (only its output y [rows, cols] stays), and one closure that in
    /// backward restores the generator state, dropout and training mode the layer ran with (same dropout seeds, so the
    /// same masks), recomputes it recording and backpropagates y's gradient through it.
    /// </summary>
    private Variable Checkpoint<TState>(Variable x, TState state, Func<Tape, Variable, TState, Variable> layer)
    {
        var random = Random?.SaveState();
        float p = Dropout;
        bool training = Training;
        var y = RunUnrecorded(x, state, layer);
        Record(y, () =>
        {
            var after = Random?.SaveState();
            (float p0, bool training0) = (Dropout, Training);
            if (random is not null) Random!.RestoreState(random);
            (Dropout, Training) = (p, training);
            try
            {
                RecomputeBackward(x, state, layer, y);
            }
            finally
            {
                (Dropout, Training) = (p0, training0);
                if (after is not null) Random!.RestoreState(after);
            }
        });
        return y;
    }

    /// <summary>
    /// Runs <paramref name="layer"/> without recording, then moves its output to the arena position before it as a new
    /// variable that requires a gradient (the layer's other activations and variables
    /// are freed).
    /// </summary>
    private Variable RunUnrecorded<TState>(Variable x, TState state, Func<Tape, Variable, TState, Variable> layer)
    {
        var mark = Arena.Mark();
        int firstVariable = variablesInUse;
        Recording = false;
        Variable inner;
        try
        {
            inner = layer(this, x, state);
        }
        finally
        {
            Recording = true;
        }
        var source = inner.Data;
        int rows = inner.Rows, cols = inner.Cols;
        Arena.Rewind(mark);
        variablesInUse = firstVariable;
        var y = NewVariable(rows, cols); // at the mark: never after the source, so the copy is a memmove
        source.Span.CopyTo(y.Span);
        return y;
    }

    /// <summary>
    /// Runs <paramref name="layer"/> again, recording into a region after everything the pass holds, hands
    /// <paramref name="y"/>'s gradient to the recomputed output, runs the region's closures in reverse (they add into x's
    /// gradient and the parameters' as the original closures would, in the same order) and frees the region.
    /// Inside <see cref="Backward"/>.
    /// </summary>
    private void RecomputeBackward<TState>(Variable x, TState state, Func<Tape, Variable, TState, Variable> layer, Variable y)
    {
        var mark = Arena.Mark();
        int firstVariable = variablesInUse, firstEntry = entries.Count;
        recomputing = true;
        Variable inner;
        try
        {
            inner = layer(this, x, state);
        }
        finally
        {
            recomputing = false;
        }
        if (inner.Rows != y.Rows || inner.Cols != y.Cols) throw new InvalidOperationException("a recomputed layer changed its output shape");
        inner.GradArray = y.GradArray;
        y.GradArray = null;
        for (int i = entries.Count - 1; i >= firstEntry; i--)
        {
            var (output, backward) = entries[i];
            if (output.GradArray is null) continue;
            backward();
            ReleaseGrad(output);
        }
        entries.RemoveRange(firstEntry, entries.Count - firstEntry);
        for (int i = firstVariable; i < variablesInUse; i++) ReleaseGrad(variables[i]);
        variablesInUse = firstVariable;
        Arena.Rewind(mark);
    }
}
