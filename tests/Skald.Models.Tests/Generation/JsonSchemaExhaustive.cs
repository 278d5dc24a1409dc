using System.Text;
using Skald.Tests;

namespace Skald.Models.Tests.Generation;

/// <summary>
/// Exhaustive small-case checks of <see cref="Skald.Models.Generation.JsonSchemaAutomaton"/> against
/// <see cref="SchemaValidator"/>: each document of a set is taken whole (every byte, then complete) exactly when the
/// validator, written apart from the automaton, finds it valid (and, where the constraint says it writes a value in
/// one form only, it is in that form).
/// </summary>
internal static class JsonSchemaExhaustive
{
    /// <summary>Whether the automaton of <paramref name="schema"/> takes all of <paramref name="document"/> and is then complete.</summary>
    public static bool Takes(string schema, string document)
    {
        var state = JsonSchemaAutomatonTests.Start(schema);
        return state.Advance(Encoding.UTF8.GetBytes(document)) && state.Complete;
    }

    /// <summary>
    /// Asserts that for each document the automaton's answer is the validator's (and <paramref name="form"/>'s, when
    /// given); returns how many were valid, so a test can check its set holds both kinds.
    /// </summary>
    public static int Agree(string schema, IEnumerable<string> documents, Func<string, bool>? form = null)
    {
        int valid = 0, all = 0;
        foreach (string d in documents)
        {
            bool expected = SchemaValidator.Problem(schema, d) is null && (form is null || form(d));
            Assert.True(expected == Takes(schema, d), $"{d}: the validator says {(expected ? "valid" : "invalid")}, the automaton the opposite");
            if (expected) valid++;
            all++;
        }
        Assert.True(valid > 0 && valid < all, $"{valid} of {all} documents valid: the set does not test both ways");
        return valid;
    }

    /// <summary>Every string of 1 to <paramref name="length"/> characters of <paramref name="alphabet"/>.</summary>
    public static IEnumerable<string> Strings(string alphabet, int length)
    {
        var current = new List<string> { "" };
        for (int n = 1; n <= length; n++)
        {
            current = [.. current.SelectMany(s => alphabet.Select(c => s + c))];
            foreach (string s in current) yield return s;
        }
    }
}
