using Skald.Models.Architectures;
using Skald.Tensors.Autograd;

namespace Skald.Models.Tests;

/// <summary>
/// BERT and XLM-R inference skip the padding (<see cref="UnpaddedRows"/>): the real tokens' states equal the padded
/// pass's (the key mask removes exactly what the unpadded pass never computes), the padding rows are 0, and a
/// recording pass stays padded. PyTorch parity on padded batches is <see cref="ParityTests"/>.
/// </summary>
public sealed class UnpaddedForwardTests
{
    [Theory]
    [InlineData("bert-cased-mean")]
    [InlineData("xlmr-cls-f16")]
    [InlineData("modernbert-st-mean")]
    [InlineData("norbert4-tiny")]
    [InlineData("norbert3-tiny-st")]
    public void RealTokensMatchThePaddedPassAndPaddingIsZero(string name)
    {
        var model = SentenceEncoder.Load(TestPaths.FixtureModel(name));
        string[] texts = ["Hei", "Dette er en lengre setning enn den første.", "Kort tekst.",
            "Hej verden, här är en mening på svenska som är ännu längre än de andra, med komma och punkt."];
        var tokens = TokenBatch.Pad(model.Tokenize(texts), model.PadId, model.PaddingSide);
        Assert.Contains(0, tokens.Mask); // the batch really has padding
        int c = model.Transformer.HiddenSize;

        var unpadded = model.Transformer.Forward(new Tape(recording: false) { DirectAttention = true }, tokens).Span.ToArray();
        // Without DirectAttention the pass stays padded (the blocked attention path, the mask on the keys).
        var padded = model.Transformer.Forward(new Tape(recording: false), tokens).Span.ToArray();
        float worst = 0f;
        for (int i = 0; i < tokens.Count; i++)
        {
            var u = unpadded.AsSpan(i * c, c);
            if (tokens.Mask[i] == 0)
            {
                Assert.True(u.IndexOfAnyExcept(0f) < 0, $"padding row {i} is not 0");
                Assert.True(padded.AsSpan(i * c, c).IndexOfAnyExcept(0f) >= 0, "the padded pass computes its padding rows");
                continue;
            }
            for (int j = 0; j < c; j++) worst = MathF.Max(worst, MathF.Abs(u[j] - padded[i * c + j]));
        }
        Assert.True(worst <= 2e-5f, $"{name}: real tokens differ by {worst:E2}");
    }

    [Theory]
    [InlineData("decoder-qwen2", AttentionMode.Causal)]
    [InlineData("decoder-qwen2", AttentionMode.Bidirectional)]
    [InlineData("decoder-gemma2", AttentionMode.Causal)]
    [InlineData("decoder-llama3", AttentionMode.Causal)]
    public void DecoderRealTokensMatchThePaddedPassOnEitherSide(string name, AttentionMode mode)
    {
        var decoder = (IDecoder)ArchitectureRegistry.Load(TestPaths.FixtureModel(name));
        decoder.AttentionMode = mode;
        // [4, 11]: full, right-padded, left-padded, one token (left); gemma2's window of 4 and soft-cap apply within.
        int batch = 4, seq = 11, vocab = decoder.Config.VocabSize;
        int[] lengths = [11, 6, 8, 1];
        bool[] left = [false, false, true, true];
        var ids = new int[batch * seq];
        var mask = new int[batch * seq];
        var rng = new Random(11);
        for (int b = 0; b < batch; b++)
        {
            for (int i = 0; i < lengths[b]; i++)
            {
                int t = left[b] ? seq - lengths[b] + i : i;
                ids[b * seq + t] = 1 + rng.Next(vocab - 1);
                mask[b * seq + t] = 1;
            }
        }
        var tokens = new TokenBatch(ids, mask, new int[batch * seq], batch, seq);
        int c = decoder.HiddenSize;
        var unpadded = decoder.Forward(new Tape(recording: false) { DirectAttention = true }, tokens).Span.ToArray();
        var padded = decoder.Forward(new Tape(recording: false), tokens).Span.ToArray();
        float worst = 0f, scale = 0f;
        for (int i = 0; i < tokens.Count; i++)
        {
            var u = unpadded.AsSpan(i * c, c);
            if (mask[i] == 0)
            {
                Assert.True(u.IndexOfAnyExcept(0f) < 0, $"padding row {i} is not 0");
                continue;
            }
            for (int j = 0; j < c; j++)
            {
                worst = MathF.Max(worst, MathF.Abs(u[j] - padded[i * c + j]));
                scale = MathF.Max(scale, MathF.Abs(padded[i * c + j]));
            }
        }
        Assert.True(worst <= 2e-5f * Math.Max(1f, scale), $"{name} {mode}: real tokens differ by {worst:E2} (largest {scale:G3})");
    }

    [Fact]
    public void ARecordingPassStaysPadded()
    {
        var model = SentenceEncoder.Load(TestPaths.FixtureModel("bert-cased-mean"));
        var tokens = TokenBatch.Pad(model.Tokenize(["Hei", "Dette er en lengre setning enn den første."]), model.PadId, model.PaddingSide);
        var y = model.Transformer.Forward(new Tape(recording: true) { DirectAttention = true }, tokens);
        int c = model.Transformer.HiddenSize, pad = Array.IndexOf(tokens.Mask, 0);
        Assert.True(pad >= 0);
        Assert.True(y.Span.Slice(pad * c, c).IndexOfAnyExcept(0f) >= 0);
    }
}
