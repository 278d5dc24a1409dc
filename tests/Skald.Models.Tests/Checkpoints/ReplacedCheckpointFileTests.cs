using Skald.Models.Checkpoints;

namespace Skald.Models.Tests.Checkpoints;

/// <summary>
/// A tensor left in its file reads the file the checkpoint opened, even when the path is replaced by a rename (an
/// atomic save of the same model, a download finishing) between opening the checkpoint and leaving the tensor there:
/// its offsets come from the opened file's header, so reading another file through them would give wrong values.
/// </summary>
public sealed class ReplacedCheckpointFileTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("skald-replaced-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private static TensorToWrite Tensor(float first) => new("w", [2, 3], [first, first + 1, first + 2, first + 3, first + 4, first + 5]);

    [Fact]
    public void ATensorLeftInTheFileReadsTheFileTheCheckpointOpened()
    {
        string path = Path.Combine(dir, "model.safetensors");
        SafeTensorsWriter.Write(path, [Tensor(1)]);
        using var checkpoint = Checkpoint.OpenFile(path);
        SafeTensorsWriter.Write(path, [Tensor(100)]); // the same layout, other values: replaced by a rename while open
        using var values = checkpoint.LeaveInFile("w", 2, 3);
        Assert.NotNull(values);
        Assert.Equal([1f, 2, 3, 4, 5, 6], values.ToSingle());
        Assert.Equal(checkpoint.Read("w", 2, 3), values.ToSingle()); // as the tensors read into memory
    }
}
