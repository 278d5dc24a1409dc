using Skald.Hub;
using Skald.Models.Adapters;

namespace Skald.Models.Tests.Adapters;

/// <summary>
/// <see cref="SentenceEncoder.Sources"/> with cachedOnly (what an index's model check reads): a hub id in an adapter
/// folder's chain that the hub cache does not hold is one <see cref="HubException"/> line naming the file, the key or
/// entry and the id, never a download and never mistaken for a chain that does not load (a ModelFormatException).
/// </summary>
public sealed class AdapterSourcesCacheOnlyTests
{
    private const string Absent = "skald-test/no-cache-holds-this";

    private static string AdapterNaming(string baseValue)
    {
        string folder = Path.Combine(TestPaths.NewTempDir(), "lora");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, PeftAdapters.ConfigFile),
            $$"""{"peft_type": "LORA", "r": 2, "lora_alpha": 4, "target_modules": ["query"], "base_model_name_or_path": "{{baseValue}}"}""");
        return folder;
    }

    [Fact]
    public void ABaseTheCacheLacksIsOneHubLine()
    {
        string adapter = AdapterNaming(Absent);
        var e = Assert.Throws<HubException>(() => SentenceEncoder.Sources(adapter, cachedOnly: true));
        Assert.StartsWith($"{Path.Combine(adapter, PeftAdapters.ConfigFile)}: {AdapterBase.BaseKey} \"{Absent}\": {Absent}: not in the hub cache", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void AnEarlierAdapterTheCacheLacksIsOneHubLine()
    {
        string adapter = AdapterNaming(TestPaths.FixtureModel("bert-cased-mean"));
        File.WriteAllText(Path.Combine(adapter, AdapterBase.ChainFile), $$"""{"adapters": ["{{Absent}}"]}""");
        var e = Assert.Throws<HubException>(() => SentenceEncoder.Sources(adapter, cachedOnly: true));
        Assert.StartsWith($"{Path.Combine(adapter, AdapterBase.ChainFile)}: adapters entry \"{Absent}\": {Absent}: not in the hub cache", e.Message);
    }
}
