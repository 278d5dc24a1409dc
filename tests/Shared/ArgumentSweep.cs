namespace Skald.Tests;

/// <summary>One case of a sweep of a public API's argument checks (<c>LibraryApiSweepTests</c>, <c>TextIndexSweepTests</c>).</summary>
internal static class ArgumentSweep
{
    /// <summary>
    /// Runs <paramref name="call"/>: with <paramref name="throws"/> null it must succeed (null is returned); otherwise it
    /// must throw exactly that type, in one line (but for the "Actual value was ..." line .NET adds to an
    /// <see cref="ArgumentOutOfRangeException"/> given its value), and the exception is returned for its parameter to be checked.
    /// </summary>
    public static Exception? Check(string name, Action call, Type? throws)
    {
        var thrown = Xunit.Record.Exception(call);
        if (throws is null)
        {
            Xunit.Assert.True(thrown is null, $"{name}: {thrown}");
            return null;
        }
        Xunit.Assert.True(thrown is not null && thrown.GetType() == throws, $"{name}: expected {throws.Name}, got {thrown}");
        string message = thrown is ArgumentOutOfRangeException { ActualValue: { } value }
            ? thrown.Message.Replace($"{Environment.NewLine}Actual value was {value}.", "", StringComparison.Ordinal) : thrown.Message;
        Xunit.Assert.DoesNotContain('\n', message);
        return thrown;
    }
}
