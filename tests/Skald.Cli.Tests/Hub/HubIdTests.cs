using Skald.Hub;

namespace Skald.Cli.Tests.Hub;

/// <summary>Hub id parsing and the environment variables huggingface_hub reads (in-process, no network).</summary>
public sealed class HubIdTests
{
    [Theory]
    [InlineData("NbAiLab/nb-sbert-base", "NbAiLab/nb-sbert-base", "main")]
    [InlineData("ltg/norbert3-small@v1.0", "ltg/norbert3-small", "v1.0")]
    [InlineData("org/name@refs/pr/1", "org/name", "refs/pr/1")]
    public void ParsesIds(string text, string repo, string revision)
    {
        var id = HubId.TryParse(text)!;
        Assert.Equal(repo, id.Repo);
        Assert.Equal(revision, id.Revision);
        Assert.Equal("models--" + repo.Replace("/", "--"), id.FolderName);
    }

    [Theory]
    [InlineData("models")]
    [InlineData("/abs/path")]
    [InlineData("a/b/c")]
    [InlineData("../x")]
    [InlineData("./x")]
    [InlineData("org/name@")]
    [InlineData("org/na--me")]
    [InlineData("org/name@../../etc")]
    [InlineData("C:/models")]
    public void PathsAreNotIds(string text) => Assert.Null(HubId.TryParse(text));

    [Fact]
    public void SettingsFollowHuggingfaceHub()
    {
        string home = TestPaths.NewTempDir();
        File.WriteAllText(Path.Combine(home, "token"), "hf_from_file\n");
        var env = new Dictionary<string, string> { ["HF_HOME"] = home, ["HF_ENDPOINT"] = "http://127.0.0.1:1/", ["HF_HUB_OFFLINE"] = "true" };
        var s = HubSettings.From(k => env.GetValueOrDefault(k));
        Assert.Equal(Path.Combine(home, "hub"), s.Cache);
        Assert.Equal("http://127.0.0.1:1", s.Endpoint);
        Assert.Equal("hf_from_file", s.Token);
        Assert.True(s.Offline);
        env["HF_TOKEN"] = "hf_env";
        env["HF_HUB_CACHE"] = Path.Combine(home, "elsewhere");
        env["HF_HUB_OFFLINE"] = "0";
        s = HubSettings.From(k => env.GetValueOrDefault(k));
        Assert.Equal(("hf_env", Path.Combine(home, "elsewhere"), false), (s.Token, s.Cache, s.Offline));
        var defaults = HubSettings.From(k => k == "XDG_CACHE_HOME" ? home : null);
        Assert.Equal(Path.Combine(home, "huggingface", "hub"), defaults.Cache);
        Assert.Equal("https://huggingface.co", defaults.Endpoint);
    }
}
