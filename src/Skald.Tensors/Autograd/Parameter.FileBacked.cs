namespace Skald.Tensors.Autograd;

public sealed partial class Parameter
{
    /// <summary>
    /// Closes the file a file-backed parameter (<see cref="IsFileBacked"/>) reads its rows from, for an owner that is done
    /// with it (a disposed <c>SentenceEncoder</c>): rows already read stay readable, a row not read yet then throws
    /// <see cref="ObjectDisposedException"/>. A parameter whose values were left in their file and have since been copied
    /// into memory (training, <see cref="Data"/>) closes the file they came from, whose handle it still holds; one whose
    /// values never were in a file does nothing. Closing twice is fine.
    /// </summary>
    public void CloseFile() => storage.CloseFile();

    /// <summary>
    /// As <see cref="Stack"/>, with the stacked values left in their file (<paramref name="values"/>: the parts one after
    /// another, as <c>Checkpoint.LeaveInFile</c> opens several tensors) and held as float32: read into memory whole the
    /// first time something needs them (packing for a Linear, <see cref="Data"/>), or straight into a weight's bfloat16
    /// panels (<see cref="Quantization.Bf16Weights"/>) without a float32 copy kept.
    /// </summary>
    public static (Parameter Whole, Parameter[] Parts) StackInFile(string wholeName, IReadOnlyList<(string Name, int[] Shape)> parts,
        bool weightDecay, Memory.FileValues values)
    {
        ArgumentNullException.ThrowIfNull(parts);
        ArgumentNullException.ThrowIfNull(values);
        int[] wholeShape = StackedShape(parts);
        return Stacked(wholeName, parts, weightDecay, new Storage(values, WeightPrecision.Float32), wholeShape);
    }

    /// <summary>
    /// The bfloat16 panels of this [out, in] matrix packed straight from the file its values were left in
    /// (<see cref="Quantization.Bf16Matrix.FromFile"/>: no float32 copy of the weight), or null when they are not in a
    /// file. The bits are those of rounding <see cref="Widen"/>'s values.
    /// </summary>
    internal Quantization.Bf16Matrix? Bf16FromFile() => storage.File is { } file && Shape.Length == 2
        ? Quantization.Bf16Matrix.FromFile(file, offset, Shape[0], Shape[1], storage.Precision)
        : null;
}
