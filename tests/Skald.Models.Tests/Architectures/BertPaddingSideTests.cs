using Skald.Models.Architectures;
using Skald.Tensors.Autograd;
using Skald.Tokenizers;

namespace Skald.Models.Tests.Architectures;

/// <summary>A BERT text's token states do not depend on the side its batch is padded on (positions count real tokens).</summary>
public sealed class BertPaddingSideTests
{
    [Theory]
    [InlineData("bert-cased-mean")]
    [InlineData("xlmr-cls-f16")]
    public void LeftAndRightPaddedBatchesGiveTheSameStates(string fixture)
    {
        var model = SentenceEncoder.Load(Path.Combine(Skald.Tests.Repository.Root, "fixtures", "models", fixture));
        var encodings = model.Tokenize(["Hei", "Kor mykje kostar ein billett til Bergen i morgon?", "Tack så mycket"]);
        var right = TokenBatch.Pad(encodings, model.PadId, PaddingSide.Right);
        var left = TokenBatch.Pad(encodings, model.PadId, PaddingSide.Left);
        var a = model.Transformer.Forward(new Tape(recording: false), right).Span.ToArray();
        var b = model.Transformer.Forward(new Tape(recording: false), left).Span.ToArray();
        int c = model.Transformer.HiddenSize, seq = right.Seq;
        for (int row = 0; row < encodings.Count; row++)
        {
            int length = encodings[row].Ids.Length;
            for (int t = 0; t < length; t++)
            {
                for (int k = 0; k < c; k++)
                {
                    float x = a[(row * seq + t) * c + k], y = b[(row * seq + seq - length + t) * c + k];
                    Assert.True(Math.Abs(x - y) <= 1e-5f * Math.Max(1f, Math.Abs(x)), $"row {row} token {t}: {x} vs {y}");
                }
            }
        }
    }
}
