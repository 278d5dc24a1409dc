namespace Skald.Retrieval.Index;

/// <summary>
/// How document paths are compared: as the file system they live on compares names. That is a property of the volume,
/// not of the operating system (ext4 is case-sensitive, but a Linux machine may mount a case-insensitive volume, and
/// APFS and NTFS folders may be case-sensitive): a writer decides it for the folder its documents live in by probing
/// it (<see cref="On"/>, <see cref="FolderCase"/>), and falls back to the operating system's usual file system
/// (<see cref="System"/>) where it cannot tell. Where case is ignored (<c>C:\Docs</c> and <c>c:\docs</c> are one
/// folder) a document added again under another case replaces its rows instead of being indexed twice, and roots
/// differing only in case are one root; where it is not, <c>Hr/Ferie.md</c> and <c>hr/ferie.md</c> are two files. Every
/// comparison of paths, roots and sources in <see cref="DocumentRoot"/>, <see cref="IndexBuilder.Add"/> and
/// <see cref="IndexBuilder.Delete"/> goes through <see cref="Comparer"/>; record ids and BEIR document ids are not
/// paths and stay ordinal.
/// </summary>
public static class DocumentPaths
{
    /// <summary>The comparison of this operating system's usual file system: ignoring case on Windows and macOS, ordinal elsewhere.</summary>
    public static StringComparer System { get; } =
        OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal;

    private static readonly AsyncLocal<StringComparer?> Injected = new();

    private static readonly AsyncLocal<StringComparer?> Probed = new();

    private static readonly AsyncLocal<Func<string, bool?>?> InjectedProbe = new();

    /// <summary>
    /// The comparer document paths are compared with: the one a test put in place (<see cref="Use"/>), else the one of
    /// the folder probed for this flow of execution (<see cref="On"/>), else <see cref="System"/>.
    /// </summary>
    public static StringComparer Comparer => Injected.Value ?? Probed.Value ?? System;

    /// <summary>Whether <paramref name="a"/> and <paramref name="b"/> name the same path.</summary>
    public static bool Same(string a, string b) => Comparer.Equals(a, b);

    /// <summary>Whether <paramref name="path"/> begins with <paramref name="prefix"/>, compared as paths.</summary>
    public static bool StartsWith(string path, string prefix) =>
        path.Length >= prefix.Length && Comparer.Equals(path[..prefix.Length], prefix);

    /// <summary>
    /// Compares paths as the file system holding <paramref name="folder"/> (or its nearest existing parent) compares
    /// names, in this flow of execution (and what it starts) until the result is disposed: ignoring case when
    /// <see cref="FolderCase.IgnoresCase"/> finds it ignored, exactly when it finds it kept, and as before (an outer
    /// folder's, else <see cref="System"/>) when it cannot tell or <paramref name="folder"/> is null.
    /// </summary>
    public static IDisposable On(string? folder)
    {
        var before = Probed.Value;
        bool? ignores = folder is null ? null : (InjectedProbe.Value ?? FolderCase.IgnoresCase)(folder);
        if (ignores is { } ignore) Probed.Value = ignore ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal;
        return new Restore(() => Probed.Value = before);
    }

    /// <summary>
    /// Compares paths with <paramref name="comparer"/> in this flow of execution (and what it starts) until the result
    /// is disposed, whatever folder is probed meanwhile: for tests of how another system's file names compare, on any system.
    /// </summary>
    internal static IDisposable Use(StringComparer comparer)
    {
        var before = Injected.Value;
        Injected.Value = comparer;
        return new Restore(() => Injected.Value = before);
    }

    /// <summary>
    /// Answers <see cref="On"/>'s probes with <paramref name="probe"/> (a folder → whether it ignores case, null: cannot
    /// tell) in this flow of execution until the result is disposed: for tests of a volume unlike the one they run on.
    /// </summary>
    internal static IDisposable UseProbe(Func<string, bool?> probe)
    {
        var before = InjectedProbe.Value;
        InjectedProbe.Value = probe;
        return new Restore(() => InjectedProbe.Value = before);
    }

    private sealed class Restore(Action restore) : IDisposable
    {
        public void Dispose() => restore();
    }
}
