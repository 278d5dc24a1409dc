namespace Skald.Tests;

/// <summary>A fact that needs the shared UD texts (&lt;repo&gt;/../shared/data/text/ud-*.txt); skipped with the reason where they are missing.</summary>
internal sealed class SharedTextFactAttribute : FactAttribute
{
    /// <summary>The shared text folder.</summary>
    public static string Folder => Path.Combine(Repository.Root, "..", "shared", "data", "text");

    /// <summary>Sets the skip reason when the texts are absent.</summary>
    public SharedTextFactAttribute()
    {
        if (!Directory.Exists(Folder) || !Directory.EnumerateFiles(Folder, "ud-*.txt").Any())
            Skip = $"the shared UD texts are not present ({Path.GetFullPath(Folder)}/ud-*.txt)";
    }
}
