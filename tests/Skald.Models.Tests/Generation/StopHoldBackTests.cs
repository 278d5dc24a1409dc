using System.Text;
using Skald.Models.Generation;

namespace Skald.Models.Tests.Generation;

/// <summary>
/// A stream's hold-back searching only the text appended since its last call equals searching the whole text every call
/// (the first occurrence of any stop sequence, and the last characters that could begin one held back), on random texts
/// appended in random pieces with random stop sequences (overlapping, one a prefix of another, a longer one that begins
/// before a shorter one found first); and it allocates nothing per call once its buffer holds the longest piece.
/// </summary>
public sealed class StopHoldBackTests
{
    // The independent expectation: the whole text searched afresh.
    private static int WholeSearch(string text, string[] stops)
    {
        int end = text.Length - (stops.Length == 0 ? 0 : stops.Max(s => s.Length) - 1);
        foreach (string stop in stops)
        {
            int at = text.IndexOf(stop, StringComparison.Ordinal);
            if (at >= 0) end = Math.Min(end, at);
        }
        return end;
    }

    [Fact]
    public void IncrementalHoldBackEqualsSearchingTheWholeTextOnRandomStreams()
    {
        var random = new Random(7);
        const string alphabet = "abcæ ";
        for (int run = 0; run < 500; run++)
        {
            var stops = new string[random.Next(0, 4)];
            for (int s = 0; s < stops.Length; s++)
                stops[s] = new string([.. Enumerable.Range(0, random.Next(1, 7)).Select(_ => alphabet[random.Next(alphabet.Length)])]);
            var holdBack = new StopHoldBack(stops);
            var text = new StringBuilder();
            for (int step = 0; step < 30; step++)
            {
                for (int k = random.Next(0, 4); k > 0; k--) text.Append(alphabet[random.Next(alphabet.Length)]);
                Assert.Equal(WholeSearch(text.ToString(), stops), holdBack.StopFree(text));
            }
        }
        // "bcd" found first; "abcdef", which begins before it, complete only later
        string[] late = ["bcd", "abcdef"];
        var overlapping = new StopHoldBack(late);
        var grown = new StringBuilder("0123456789abcd");
        Assert.Equal(WholeSearch(grown.ToString(), late), overlapping.StopFree(grown));
        grown.Append("ef0123456789");
        Assert.Equal(WholeSearch(grown.ToString(), late), overlapping.StopFree(grown));
    }

    [Fact]
    public void ACallAllocatesNothingOnceTheBufferHoldsTheLongestPiece()
    {
        var holdBack = new StopHoldBack(["</answer>", "STOP"]);
        var text = new StringBuilder(1 << 16);
        text.Append("warm up");
        holdBack.StopFree(text);
        text.Append("word ");
        holdBack.StopFree(text);
        long allocated = 0;
        for (int i = 0; i < 2000; i++)
        {
            text.Append("word ");
            long before = GC.GetAllocatedBytesForCurrentThread();
            holdBack.StopFree(text);
            allocated += GC.GetAllocatedBytesForCurrentThread() - before;
        }
        Assert.Equal(0, allocated);
    }
}
