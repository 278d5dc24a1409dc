using Skald.Tensors.Kernels;

namespace Skald.Tensors.Autograd;

public static partial class Ops
{
    /// <summary>
    /// nn.Embedding: y[i] = table[ids[i]] for ids [n] → [n, C]. The gradient scatter-adds into the table rows. A
    /// 16-bit (bfloat16 or float16) table has its selected rows widened (frozen).
    /// </summary>
    public static Variable Gather(Tape tape, int[] ids, Parameter table)
    {
        if (table.Shape.Length != 2) throw new ArgumentException($"{table.Name} must be a [rows, dim] table");
        int n = ids.Length, rows = table.Shape[0], c = table.Shape[1];
        var y = tape.NewVariable(n, c);
        for (int i = 0; i < n; i++) TableRow(table, ids[i], y.Span.Slice(i * c, c));
        var u = table.Lora is { Embedding: true } lora ? AddTableLowRank(tape, ids, lora, table, y.Span) : null; // peft's Embedding LoRA (or DoRA)
        if (tape.Records(y)) RecordGather(tape, ids, table, u, y); // a 16-bit table is frozen: no gradient of its own
        return y;
    }

    /// <summary>Row <paramref name="id"/> of the [rows, C] <paramref name="table"/> as float32 into <paramref name="destination"/>.</summary>
    private static void TableRow(Parameter table, int id, Span<float> destination)
    {
        int rows = table.Shape[0], c = table.Shape[1];
        if ((uint)id >= (uint)rows) throw new ArgumentException($"token id {id} is outside the vocabulary of {rows}");
        table.Widen(id * c, destination[..c]);
    }

    private static void RecordGather(Tape tape, int[] ids, Parameter table, TableTerm? u, Variable y) =>
        tape.Record(y, () =>
        {
            if (table.RequiresGrad) Embedding.Backward(ids, y.Grad, table.Grad.Span, ids.Length, table.Shape[1]);
            if (table.Lora is { Embedding: true } lora) BackwardTableLowRank(tape, ids, lora, u!, y.Grad);
        });
}
