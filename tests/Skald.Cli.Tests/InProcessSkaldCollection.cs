namespace Skald.Cli.Tests;

/// <summary>
/// The tests that check which files the test process holds open after an in-process run (<see cref="OpenFiles"/>):
/// one at a time, alone, so no other test opens files meanwhile. Other in-process runs (<see cref="InProcessSkald"/>)
/// need no collection.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class InProcessSkaldCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "in-process skald, alone";
}
