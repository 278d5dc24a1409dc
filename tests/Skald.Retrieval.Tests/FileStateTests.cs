using System.Globalization;
using Skald.Retrieval.Index;

namespace Skald.Retrieval.Tests;

/// <summary>
/// <see cref="FileIdentity.StatusOf"/> reads the device, inode and change time that coreutils' <c>stat</c> shows (the
/// layout of <c>struct stat</c> checked against an independent reader), and <see cref="FileState"/> tells a file
/// rewritten in place with its old length and its time set back from the file it was, by its change time.
/// </summary>
public sealed class FileStateTests
{
    private static bool ChangeTimeKnown => FileIdentity.ChangeOffset >= 0;

    [Fact]
    public void TheIdentityAndChangeTimeAreTheOnesStatShows()
    {
        if (!ChangeTimeKnown) return; // (Linux x86-64 and arm64 only; elsewhere FileState keeps identity, length and time)
        string file = Path.Combine(Directory.CreateTempSubdirectory("skald-filestate").FullName, "weights.bin");
        File.WriteAllBytes(file, [1, 2, 3]);
        var status = FileIdentity.StatusOf(file)!.Value;
        string[] shown = CoreutilsStat.Show("%d %i %.9Z", file)[0];
        ulong device = ulong.Parse(shown[0], CultureInfo.InvariantCulture), inode = ulong.Parse(shown[1], CultureInfo.InvariantCulture);
        Assert.Equal(((UInt128)inode << 64) | device, status.Identity);
        Assert.Equal(CoreutilsStat.Nanoseconds(shown[2]), status.Changed);
    }

    [Fact]
    public void AFileRewrittenInPlaceWithItsLengthAndTimeSetBackIsAnotherState()
    {
        if (!ChangeTimeKnown) return;
        string folder = Directory.CreateTempSubdirectory("skald-filestate").FullName;
        string file = Path.Combine(folder, "weights.bin");
        var time = new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc);
        File.WriteAllBytes(file, [1, 2, 3, 4]);
        File.SetLastWriteTimeUtc(file, time);
        string before = FileState.Of(file);
        var was = FileIdentity.StatusOf(file)!.Value;
        ChangeClock.PassBy(folder, was.Changed!.Value);

        File.WriteAllBytes(file, [4, 3, 2, 1]); // truncated and written again: the same inode
        File.SetLastWriteTimeUtc(file, time);
        Assert.Equal(was.Identity, FileIdentity.StatusOf(file)!.Value.Identity);
        Assert.Equal((4L, time), (new FileInfo(file).Length, File.GetLastWriteTimeUtc(file)));
        Assert.NotEqual(before, FileState.Of(file));
    }
}
