using System.Text.Json.Nodes;
using Skald.Tensors;
using Skald.Training.Config;
using Skald.Training.Trainer;

namespace Skald.Training.Tests.Trainer;

/// <summary>
/// A checkpoint's trainer_state.json that parses but holds what no run writes (a negative step or data position, a
/// generator state that is not four hex numbers) is one line naming the file and the field before anything is restored.
/// </summary>
public sealed class DamagedTrainerStateTests
{
    private readonly string dir = InfraPaths.NewTempDir();

    private string LoadError(Action<JsonObject> damage)
    {
        var state = JsonNode.Parse(new TrainerState
        {
            GlobalStep = 2, DataBatch = 2, ModelRng = TrainerState.Hex(new SkaldRandom(42).SaveState()),
        }.ToJson())!.AsObject();
        damage(state);
        File.WriteAllText(Path.Combine(dir, "trainer_state.json"), state.ToJsonString());
        return Assert.Throws<TrainingException>(() => CheckpointStore.Load(dir)).Message;
    }

    [Fact]
    public void AnIntactStateStillReadsAsFarAsTheWeights()
    {
        // The state passes; the missing weights are what stops it.
        string message = LoadError(_ => { });
        Assert.Equal($"{Path.Combine(dir, "model.safetensors")}: file not found", message);
    }

    [Theory]
    [InlineData("global_step", -5, "global_step is -5; expected 0 or more")]
    [InlineData("data_batch", -1, "data_batch is -1; expected 0 or more")]
    [InlineData("data_epoch", -3, "data_epoch is -3; expected 0 or more")]
    public void ANegativePositionIsNamed(string field, int value, string problem)
    {
        string message = LoadError(s => s[field] = value);
        Assert.Equal($"{Path.Combine(dir, "trainer_state.json")}: unreadable trainer state ({problem})", message);
    }

    [Fact]
    public void AGeneratorStateThatIsNotFourHexNumbersIsNamed()
    {
        string file = Path.Combine(dir, "trainer_state.json");
        Assert.Equal($"{file}: unreadable trainer state (model_rng must be the dropout generator's state: four hex numbers)",
            LoadError(s => s["model_rng"]![0] = "zz"));
        Assert.Equal($"{file}: unreadable trainer state (model_rng must be the dropout generator's state: four hex numbers)",
            LoadError(s => s["model_rng"] = new JsonArray()));
        Assert.Equal($"{file}: unreadable trainer state (model_rng is not a generator state (its increment must be odd))",
            LoadError(s => s["model_rng"]![1] = "0000000000000002"));
    }

    [Fact]
    public void AStateCutShortByACrashSaysWhereInTheFile()
    {
        string file = Path.Combine(dir, "trainer_state.json");
        File.WriteAllText(file, "{\n  \"global_step\": 2,\n  \"data_batch\": ");
        string message = Assert.Throws<TrainingException>(() => CheckpointStore.Load(dir)).Message;
        Assert.StartsWith($"{file}: not JSON (line 3, column ", message);
        Assert.DoesNotContain("BytePositionInLine", message);
        File.WriteAllText(file, "  \n");
        Assert.Equal($"{file}: empty", Assert.Throws<TrainingException>(() => CheckpointStore.Load(dir)).Message);
    }

    [Fact]
    public void AValueOfTheWrongTypeNamesItsField()
    {
        string message = LoadError(s => s["global_step"] = "two");
        Assert.StartsWith($"{Path.Combine(dir, "trainer_state.json")}: unreadable trainer state (global_step: ", message);
        Assert.DoesNotContain("LineNumber", message);
        Assert.EndsWith(")", message);
    }
}
