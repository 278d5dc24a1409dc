using Skald.Models.Adapters;

namespace Skald.Models.Tests.Adapters;

/// <summary>
/// adapter_config.json values of the wrong JSON type are named by key (skald merge, encode --adapters, model.adapters):
/// none is read as a default, none is an internal error.
/// </summary>
public sealed class LoraConfigTypeTests
{
    private readonly string path = Path.Combine(TestPaths.NewTempDir(), "adapter_config.json");

    private string Refusal(string extra)
    {
        File.WriteAllText(path, $$"""{"peft_type": "LORA", "r": 2, "lora_alpha": 4, "target_modules": ["q_proj"]{{extra}}}""");
        return Assert.Throws<ModelFormatException>(() => LoraConfig.Read(path)).Message;
    }

    [Fact]
    public void AFlagWrittenAsAStringIsNamedNotReadAsFalse()
    {
        Assert.Equal($"{path}: use_dora must be true or false, not \"true\"", Refusal(""", "use_dora": "true" """));
        Assert.Equal($"{path}: fan_in_fan_out must be true or false, not 1", Refusal(""", "fan_in_fan_out": 1"""));
        Assert.Equal($"{path}: use_rslora must be true or false, not \"yes\"", Refusal(""", "use_rslora": "yes" """));
    }

    [Fact]
    public void APatternMapThatIsNoObjectIsNamedNotIgnored()
    {
        Assert.Equal($"{path}: rank_pattern must be an object of module name patterns, not [1]", Refusal(""", "rank_pattern": [1]"""));
        Assert.Equal($"{path}: alpha_pattern must be an object of module name patterns, not \"q_proj\"", Refusal(""", "alpha_pattern": "q_proj" """));
    }

    [Fact]
    public void ATargetModuleThatIsNoNameAndAnAlphaThatIsNoNumberAreNamed()
    {
        File.WriteAllText(path, """{"peft_type": "LORA", "r": 2, "lora_alpha": 4, "target_modules": ["q_proj", 1]}""");
        Assert.Equal($"{path}: target_modules must be a list of names or a regular expression",
            Assert.Throws<ModelFormatException>(() => LoraConfig.Read(path)).Message);
        File.WriteAllText(path, """{"peft_type": "LORA", "r": 2, "lora_alpha": "4", "target_modules": ["q_proj"]}""");
        Assert.Equal($"{path}: lora_alpha must be a number, not \"4\"", Assert.Throws<ModelFormatException>(() => LoraConfig.Read(path)).Message);
    }

    [Fact]
    public void NullFlagsAndPatternsAreTheirDefaults()
    {
        File.WriteAllText(path, """
            {"peft_type": "LORA", "r": 2, "lora_alpha": 4, "target_modules": ["q_proj"], "use_dora": null, "use_rslora": false,
             "fan_in_fan_out": false, "rank_pattern": null, "alpha_pattern": {}}
            """);
        var c = LoraConfig.Read(path);
        Assert.False(c.UseDora);
        Assert.False(c.UseRsLora);
        Assert.Empty(c.RankPattern);
        Assert.Equal(2f, c.Scale);
    }

    [Fact]
    public void StringsDropoutAndModulesToSaveOfTheWrongTypeAreNamed()
    {
        Assert.Equal($"{path}: bias must be a string, not false", Refusal(""", "bias": false"""));
        Assert.Equal($"{path}: base_model_name_or_path must be a string, not 12", Refusal(""", "base_model_name_or_path": 12"""));
        Assert.Equal($"{path}: lora_dropout must be a number, not \"0.1\"", Refusal(""", "lora_dropout": "0.1" """));
        Assert.Equal($"{path}: modules_to_save must be a list of module names, not \"classifier\"", Refusal(""", "modules_to_save": "classifier" """));
        File.WriteAllText(path, """{"peft_type": 1, "r": 2, "lora_alpha": 4, "target_modules": ["q_proj"]}""");
        Assert.Equal($"{path}: peft_type must be a string, not 1", Assert.Throws<ModelFormatException>(() => LoraConfig.Read(path)).Message);
        File.WriteAllText(path, """{"r": 2, "lora_alpha": 4, "target_modules": ["q_proj"]}""");
        Assert.Equal($"{path}: peft_type is missing (\"LORA\" for a LoRA adapter)", Assert.Throws<ModelFormatException>(() => LoraConfig.Read(path)).Message);
    }

    [Fact]
    public void NullStringsDropoutAndModulesToSaveAreTheirDefaults()
    {
        File.WriteAllText(path, """
            {"peft_type": "LORA", "r": 2, "lora_alpha": 4, "target_modules": ["q_proj"], "bias": null, "lora_dropout": null,
             "modules_to_save": null, "base_model_name_or_path": null}
            """);
        var c = LoraConfig.Read(path);
        Assert.Equal(0f, c.Dropout);
        Assert.Empty(c.ModulesToSave);
        Assert.Null(c.BaseModel);
    }
}
