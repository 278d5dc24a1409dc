using Skald.Models.Generation;

namespace Skald.Models.Tests.Generation;

/// <summary>
/// <see cref="ToolCallParsers.Detect"/> on the fixture chat templates (fixtures/chat-templates/templates): each model
/// family's template gives the format its models write, and templates without tools give none; one that writes
/// <c>[ARGS]</c> after a call's name (Mistral's tokenizers v11+) gives <see cref="ToolCallFormat.MistralV11"/>.
/// </summary>
public sealed class ToolCallParsersTests
{
    [Theory]
    [InlineData("qwen2.5-7b-instruct.jinja", ToolCallFormat.Hermes)]
    [InlineData("qwen3-0.6b.jinja", ToolCallFormat.Hermes)]
    [InlineData("hermes-3-llama-3.1-8b-tool-use.jinja", ToolCallFormat.Hermes)] // a Llama 3.1 fine-tune taught Hermes blocks
    [InlineData("llama-3.1-8b-instruct.jinja", ToolCallFormat.Llama3Json)]
    [InlineData("llama-3.2-3b-instruct.jinja", ToolCallFormat.Llama3Json)]
    [InlineData("mistral-nemo-instruct-2407.jinja", ToolCallFormat.Mistral)]
    [InlineData("mistral-v3-large-2407.jinja", ToolCallFormat.Mistral)]
    [InlineData("llama-3-8b-instruct.jinja", ToolCallFormat.None)]
    [InlineData("mistral-7b-instruct-v0.2-v1.jinja", ToolCallFormat.None)]
    [InlineData("gemma-3-it.jinja", ToolCallFormat.None)]
    [InlineData("chatml-openhermes-2.5.jinja", ToolCallFormat.None)]
    public void EachFixtureTemplateTeachesItsFamilysFormat(string template, ToolCallFormat format) =>
        Assert.Equal(format, ToolCallParsers.Detect(File.ReadAllText(Path.Combine(TestPaths.Fixtures, "chat-templates", "templates", template))));

    [Fact]
    public void ATemplateWritingArgsAfterTheNameTeachesMistralsV11Calls() =>
        Assert.Equal(ToolCallFormat.MistralV11, ToolCallParsers.Detect(ToolCallFormatsChatClientTests.MistralV11Template));

    [Theory]
    [InlineData(ToolCallFormat.Hermes, typeof(HermesToolCallParser))]
    [InlineData(ToolCallFormat.Llama3Json, typeof(Llama3JsonToolCallParser))]
    [InlineData(ToolCallFormat.Mistral, typeof(MistralToolCallParser))]
    [InlineData(ToolCallFormat.MistralV11, typeof(MistralV11ToolCallParser))]
    public void EachFormatHasItsParser(ToolCallFormat format, Type parser) =>
        Assert.IsType(parser, ToolCallParsers.Create(format));
}
