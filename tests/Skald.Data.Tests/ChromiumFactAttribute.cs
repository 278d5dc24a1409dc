namespace Skald.Data.Tests;

/// <summary>A fact that needs headless Chromium (<see cref="Chromium"/>), skipped with the install line where it is missing.</summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    /// <summary>Skips the test where Chromium is not installed.</summary>
    public ChromiumFactAttribute()
    {
        if (!Chromium.Installed) Skip = "chromium is not installed here (apt-get install chromium)";
    }
}
