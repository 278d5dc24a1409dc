namespace Skald.Retrieval.Index;

/// <summary>
/// How document paths are compared: as the file system they live on compares names. Linux's are case-sensitive
/// (<c>Hr/Ferie.md</c> and <c>hr/ferie.md</c> are two files); Windows' NTFS and macOS' APFS by default ignore case
/// (<c>C:\Docs</c> and <c>c:\docs</c> are one folder), so there a document added again under another case replaces its
/// rows instead of being indexed twice, and roots differing only in case are one root. Every comparison of paths,
/// roots and sources in <see cref="DocumentRoot"/>, <see cref="IndexBuilder.Add"/> and <see cref="IndexBuilder.Delete"/>
/// goes through <see cref="Comparer"/>; record ids and BEIR document ids are not paths and stay ordinal.
/// </summary>
public static class DocumentPaths
{
    /// <summary>The comparison of this operating system's usual file system: ignoring case on Windows and macOS, ordinal elsewhere.</summary>
    public static StringComparer System { get; } =
        OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal;

    private static readonly AsyncLocal<StringComparer?> Injected = new();

    /// <summary>The comparer document paths are compared with: <see cref="System"/>, unless a test put another in place (<see cref="Use"/>).</summary>
    public static StringComparer Comparer => Injected.Value ?? System;

    /// <summary>Whether <paramref name="a"/> and <paramref name="b"/> name the same path.</summary>
    public static bool Same(string a, string b) => Comparer.Equals(a, b);

    /// <summary>Whether <paramref name="path"/> begins with <paramref name="prefix"/>, compared as paths.</summary>
    public static bool StartsWith(string path, string prefix) =>
        path.Length >= prefix.Length && Comparer.Equals(path[..prefix.Length], prefix);

    /// <summary>
    /// Compares paths with <paramref name="comparer"/> in this flow of execution (and what it starts) until the result
    /// is disposed: for tests of how another system's file names compare, on any system.
    /// </summary>
    internal static IDisposable Use(StringComparer comparer)
    {
        var before = Injected.Value;
        Injected.Value = comparer;
        return new Restore(before);
    }

    private sealed class Restore(StringComparer? before) : IDisposable
    {
        public void Dispose() => Injected.Value = before;
    }
}
