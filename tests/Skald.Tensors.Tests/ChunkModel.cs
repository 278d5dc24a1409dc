namespace Skald.Tensors.Tests;

/// <summary>
/// The chunks a pool region is cut into, restated for the tests: uniform (<see cref="Parallelism.Split"/>) below 2
/// chunks per thread; otherwise guided: walking from 0, each chunk takes half the remaining units per thread pair,
/// ⌈rest / (2·threads)⌉, but never more than the uniform size ⌈units / chunks⌉ nor less than
/// max(1, units / (4·chunks)) (the last one takes what is left).
/// </summary>
internal static class ChunkModel
{
    public static List<(int Start, int End)> Bounds(int units, int chunks, int threads)
    {
        var result = new List<(int Start, int End)>();
        if (chunks < 2 * threads)
        {
            for (int c = 0; c < chunks; c++)
            {
                var r = Parallelism.Split(units, chunks, c);
                if (r.End > r.Start) result.Add(r);
            }
            return result;
        }
        double uniform = Math.Ceiling((double)units / chunks);
        double least = Math.Max(1, Math.Floor((double)units / (4.0 * chunks)));
        int start = 0;
        while (start < units)
        {
            double half = Math.Ceiling((units - start) / (2.0 * threads));
            int size = (int)Math.Min(uniform, Math.Max(least, half));
            result.Add((start, Math.Min(units, start + size)));
            start += size;
        }
        return result;
    }
}
