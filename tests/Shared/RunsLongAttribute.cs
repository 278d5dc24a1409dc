namespace Skald.Tests;

/// <summary>
/// Marks a test class whose tests together take long (a minute or more on an idle 2-core host: training runs, packaging,
/// a class of many process starts, whose tests xunit runs one after another): its test collection starts before the
/// others (<see cref="LongRunningFirst"/>), so it runs beside the short ones instead of alone at the end of the run.
/// Only the order changes; the tests and their parallelism are as before.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
internal sealed class RunsLongAttribute(int seconds) : Attribute
{
    /// <summary>About how long the class's tests take together, in seconds on an idle host: longer ones start first.</summary>
    public int Seconds { get; } = seconds;
}
