using System.Globalization;

namespace Skald.Bench.Pdf;

/// <summary>The bench's options.</summary>
internal sealed record Args(int[] Pages, int Rounds, string Dir)
{
    public static Args Parse(string[] args)
    {
        int[] pages = [60, 240];
        int rounds = 3;
        string dir = Path.Combine(Path.GetTempPath(), "skald-bench-pdf");
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--pages": pages = [.. args[i + 1].Split(',').Select(int.Parse)]; break;
                case "--rounds": rounds = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--dir": dir = args[i + 1]; break;
                default: throw new ArgumentException($"unknown option {args[i]} (--pages N[,N], --rounds N, --dir DIR)");
            }
        }
        return new Args(pages, rounds, dir);
    }
}
