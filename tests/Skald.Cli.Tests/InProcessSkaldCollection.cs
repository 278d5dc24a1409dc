namespace Skald.Cli.Tests;

/// <summary>The tests that run verbs in the test process (<see cref="InProcessSkald"/>): one at a time, alone.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class InProcessSkaldCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "in-process skald";
}
