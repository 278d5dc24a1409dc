using Skald.Tensors.Kernels;

namespace Skald.Tensors.Autograd;

public static partial class Ops
{
    /// <summary>
    /// nn.Embedding: y[i] = table[ids[i]] for ids [n] → [n, C]. The gradient scatter-adds into the table rows.
    /// </summary>
    public static Variable Gather(Tape tape, int[] ids, Parameter table)
    {
        if (table.Shape.Length != 2) throw new ArgumentException($"{table.Name} must be a [rows, dim] table");
        int n = ids.Length, rows = table.Shape[0], c = table.Shape[1];
        var y = tape.NewVariable(n, c);
        var t = table.Data.Span;
        var ys = y.Span;
        for (int i = 0; i < n; i++)
        {
            if ((uint)ids[i] >= (uint)rows) throw new ArgumentException($"token id {ids[i]} is outside the vocabulary of {rows}");
            t.Slice(ids[i] * c, c).CopyTo(ys.Slice(i * c, c));
        }
        if (tape.Records(y)) RecordGather(tape, ids, table, y);
        return y;
    }

    private static void RecordGather(Tape tape, int[] ids, Parameter table, Variable y) =>
        tape.Record(y, () =>
        {
            if (table.RequiresGrad) Embedding.Backward(ids, y.Grad, table.Grad.Span, ids.Length, table.Shape[1]);
        });
}
