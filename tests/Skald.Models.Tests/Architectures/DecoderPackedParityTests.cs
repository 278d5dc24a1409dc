using Skald.Models.Architectures;
using Skald.Tensors.Autograd;
using Skald.Tensors.Gemm;
using Skald.Tensors.Quantization;
using Xunit.Abstractions;

namespace Skald.Models.Tests.Architectures;

/// <summary>
/// Llama-family decoders with their weights packed at inference, where a layer after its attention runs as three parallel
/// regions with row finishes on the six-term product (Ops.DecoderOutputFeedForward): the last hidden states against the plain-PyTorch
/// reference of fixtures/models/make_decoders.py (as <see cref="DecoderParityTests"/>: 1e-5 absolute on every real
/// token, causal and bidirectional, right and left padding), every layer having taken the fused pass.
/// </summary>
public sealed class DecoderPackedParityTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("decoder-llama3")]
    [InlineData("decoder-mistral")]
    [InlineData("decoder-qwen2")]
    [InlineData("decoder-qwen3")]
    public void PackedFusedLayersMatchPyTorchReference(string name)
    {
        if (Blas.Backend is not ManagedGemm) return; // no packed weights on other backends: the ops run one by one
        int was = SixTermGemm.Override;
        SixTermGemm.Override = 1; // the six-term product (its scalar twin on a CPU without AMX)
        try
        {
            var folder = TestPaths.FixtureModel(name);
            var model = Assert.IsAssignableFrom<IDecoder>(ArchitectureRegistry.Load(folder));
            float worst = 0;
            foreach (var c in DecoderParityTests.ReadCases(folder))
            {
                model.AttentionMode = c.Attention == "causal" ? AttentionMode.Causal : AttentionMode.Bidirectional;
                var tape = new Tape(recording: false) { PackWeights = true };
                long before = Skald.Tensors.Kernels.DecoderOutputFeedForward.Calls;
                var hidden = model.Forward(tape, c.Tokens);
                Assert.Equal(model.Config.NumLayers, Skald.Tensors.Kernels.DecoderOutputFeedForward.Calls - before);
                worst = MathF.Max(worst, DecoderParityTests.CompareRealTokens(c, hidden, $"{name} {c.Attention}/{c.Padding} packed"));
            }
            output.WriteLine($"{name} packed: max |diff| {worst:E2}");
        }
        finally
        {
            SixTermGemm.Override = was;
        }
    }
}
