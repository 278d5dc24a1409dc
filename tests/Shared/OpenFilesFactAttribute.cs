namespace Skald.Tests;

/// <summary>A fact about the files the test process holds open (<see cref="OpenFiles"/>), skipped where they cannot be listed.</summary>
internal sealed class OpenFilesFactAttribute : FactAttribute
{
    public OpenFilesFactAttribute()
    {
        if (!OpenFiles.Visible) Skip = "the process's open files cannot be listed here (/proc/self/fd is Linux's)";
    }
}
