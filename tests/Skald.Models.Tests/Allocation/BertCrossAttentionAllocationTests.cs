using Skald.Models.Architectures;
using Skald.Models.Checkpoints;
using Skald.Tensors;
using Skald.Tensors.Autograd;

namespace Skald.Models.Tests.Allocation;

/// <summary>
/// TSDAE's BERT decoder block (<see cref="BertCrossAttention.Forward"/>) takes its scratch (each position's memory row,
/// the slot mask) from the tape, as GPT-2's cross-attention does: a steady-state pass over one shape, the tape reset
/// after each, allocates nothing on the calling thread. Alone (<see cref="AllocationCollection"/>): while another test
/// holds the engine's pool, a parallel region goes to Parallel.For, which allocates (a CI run under load saw 2.3 KB a pass).
/// </summary>
[Collection(AllocationCollection.Name)]
public sealed class BertCrossAttentionAllocationTests
{
    [Fact]
    public void AForwardPassAllocatesNothing()
    {
        var bert = Assert.IsType<BertModel>(ArchitectureRegistry.Load(TestPaths.FixtureModel("bert-cased-mean")));
        var p = ParameterBuilder.FromInitializer(BertModel.Initializer(bert.Config, new SkaldRandom(3)));
        var cross = new BertCrossAttention(bert.Config, p.Sub("crossattention"));
        const int batch = 3, seq = 7;
        int c = bert.Config.HiddenSize;
        var random = new SkaldRandom(11);
        var h = new float[batch * seq * c];
        var memory = new float[batch * c];
        for (int i = 0; i < h.Length; i++) h[i] = random.NextFloat() - 0.5f;
        for (int i = 0; i < memory.Length; i++) memory[i] = random.NextFloat() - 0.5f;
        var tape = new Tape(recording: false);
        float checksum = 0;
        long bytes = LeastAllocation.Of(() =>
        {
            var y = cross.Forward(tape, tape.Constant(h, batch * seq, c), tape.Constant(memory, batch, c), batch, seq);
            checksum += y.Span[0];
            tape.Reset();
        });
        Assert.True(float.IsFinite(checksum));
        Assert.Equal(0, bytes);
    }
}
