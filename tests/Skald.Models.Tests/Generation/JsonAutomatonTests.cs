using System.Text;
using System.Text.Json;
using Skald.Models.Generation;

namespace Skald.Models.Tests.Generation;

/// <summary>
/// <see cref="JsonAutomaton"/>, the JSON-object prefix automaton of JSON mode: every prefix of valid objects is taken
/// and only the whole is complete; hand-marked invalid texts are refused at the marked byte; on a fuzzed corpus, valid
/// and invalid, its verdict on every byte prefix equals System.Text.Json's reader fed the prefix as a partial block
/// (an exception: no completion can make it valid) and, for whole texts, JsonDocument.Parse; the whitespace, depth and
/// UTF-8 limits hold.
/// </summary>
public sealed class JsonAutomatonTests
{
    private static readonly string[] Valid =
    [
        "{}",
        "{\"a\":1}",
        "{ \"a\" : [ 1 , 2.5 , -3e+2 , 0 , -0.0E-7 ] }",
        "{\"nested\":{\"deeper\":{\"list\":[[],[{}],[[1]]]}},\"t\":true,\"f\":false,\"n\":null}",
        "{\"esc\":\"q\\\" b\\\\ s\\/ \\b\\f\\n\\r\\t \\u00e6\\u00F8\\uD83D\\uDE00\"}",
        "{\"unicode\":\"blåbærsyltetøy 🦀 ünïcödé\",\"\":\"\"}",
        "{\n  \"pretty\": {\n    \"x\": 10,\n    \"y\": [true, false]\n  }\n}",
        "\t{\"leading whitespace\":0}",
        "{\"num\":[1234567890,1.0e10,12E3,0.5,-1,-0,1e-0]}",
    ];

    // ¦ marks the byte refused first (placed by hand); the text is the string without it.
    private static readonly string[] Invalid =
    [
        "¦[1]",
        "¦\"a\"",
        "{¦,}",
        "{¦'a':1}",
        "{\"a\"¦1}",
        "{\"a\" ¦1}",
        "{\"a\":0¦1}",
        "{\"a\":1.¦}",
        "{\"a\":1e¦}",
        "{\"a\":1e+¦}",
        "{\"a\":-¦}",
        "{\"a\":¦.5}",
        "{\"a\":¦+1}",
        "{\"a\":tru¦}",
        "{\"a\":nul¦x}",
        "{\"a\":1,¦}",
        "{\"a\":[1,¦]}",
        "{\"a\":[¦}",
        "{\"a\":{¦]}",
        "{\"a\":1¦]",
        "{\"a\":1 ¦2}",
        "{\"a\":1}¦}",
        "{\"a\":\"\\¦x\"}",
        "{\"a\":\"\\u12¦g4\"}",
        "{\"a\":\"x¦\ny\"}",
        "{\"a\":¦undefined}",
        "{\"a\":1,\"b\"¦}",
        "{\"a\"¦}",
        "{¦1:2}",
    ];

    private static (bool Prefix, bool Complete) Run(ReadOnlySpan<byte> bytes, out int refusedAt)
    {
        var a = new JsonAutomaton();
        for (int i = 0; i < bytes.Length; i++)
        {
            if (!a.Advance(bytes[i]))
            {
                refusedAt = i;
                return (false, false);
            }
        }
        refusedAt = -1;
        return (true, a.Complete);
    }

    [Fact]
    public void EveryPrefixOfAValidObjectIsTakenAndOnlyTheWholeIsComplete()
    {
        foreach (string text in Valid)
        {
            Assert.Equal(JsonValueKind.Object, JsonDocument.Parse(text).RootElement.ValueKind); // the corpus is valid
            var bytes = Encoding.UTF8.GetBytes(text);
            var a = new JsonAutomaton();
            for (int i = 0; i < bytes.Length; i++)
            {
                Assert.False(a.Complete, $"{text}: complete after {i} bytes");
                Assert.True(a.Advance(bytes[i]), $"{text}: byte {i} ({(char)bytes[i]}) refused");
            }
            Assert.True(a.Complete, text);
        }
    }

    [Fact]
    public void AnInvalidTextIsRefusedAtItsFirstBadByte()
    {
        foreach (string marked in Invalid)
        {
            int expected = marked.IndexOf('¦');
            string text = marked.Remove(expected, 1);
            Assert.False(JsonPrefix.IsObject(text), text); // the corpus is invalid (or not an object)
            var (prefix, _) = Run(Encoding.UTF8.GetBytes(text), out int at);
            Assert.False(prefix, text);
            Assert.True(expected == at, $"{text}: refused at byte {at}, expected {expected}");
        }
    }

    [Fact]
    public void OnAFuzzedCorpusEveryPrefixVerdictEqualsSystemTextJsons()
    {
        var random = new Random(20261204);
        int compared = 0, invalid = 0, complete = 0;
        for (int n = 0; n < 1500; n++)
        {
            string text = RandomObject(random, 0);
            for (int m = random.Next(4) - 1; m > 0; m--) text = Mutate(random, text);
            if (System.Text.RegularExpressions.Regex.IsMatch(text, $@"\s{{{JsonAutomaton.MaxWhitespace + 1}}}")) continue; // beyond the bound
            var bytes = Encoding.UTF8.GetBytes(text);
            for (int len = 0; len <= bytes.Length; len++)
            {
                var span = bytes.AsSpan(0, len);
                bool expectedPrefix = JsonPrefix.CanBecomeObject(span);
                var (prefix, isComplete) = Run(span, out _);
                Assert.True(expectedPrefix == prefix, $"\"{Encoding.UTF8.GetString(span)}\": System.Text.Json says prefix {expectedPrefix}");
                bool expectedComplete = JsonPrefix.IsObject(span);
                Assert.True(expectedComplete == isComplete, $"\"{Encoding.UTF8.GetString(span)}\": JsonDocument parses {expectedComplete}");
                compared++;
                if (!prefix) invalid++;
                if (isComplete) complete++;
            }
        }
        // the corpus has both sides of each verdict in numbers
        Assert.True(invalid > 1000 && complete > 100 && compared - invalid > 10_000, $"{compared} prefixes, {invalid} invalid, {complete} complete");
    }

    [Fact]
    public void NothingFollowsTheClosedObjectNotEvenWhitespace()
    {
        foreach (string text in (string[])["{} ", "{}\n", "{}{}", "{},"])
        {
            Run(Encoding.UTF8.GetBytes(text), out int at);
            Assert.Equal(2, at);
        }
    }

    [Fact]
    public void WhitespaceRunsAreBounded()
    {
        string max = new(' ', JsonAutomaton.MaxWhitespace);
        foreach (string text in (string[])[max + "{}", "{" + max + "}", "{\"a\"" + max + ":" + max + "1" + max + "}"])
        {
            var (prefix, isComplete) = Run(Encoding.UTF8.GetBytes(text), out _);
            Assert.True(prefix && isComplete, text);
        }
        string over = "{\"a\":" + new string('\n', JsonAutomaton.MaxWhitespace) + " 1}";
        Run(Encoding.UTF8.GetBytes(over), out int at);
        Assert.Equal(5 + JsonAutomaton.MaxWhitespace, at);
        // inside a string, spaces are content
        var (inString, _) = Run(Encoding.UTF8.GetBytes("{\"" + new string(' ', 50) + "\":1}"), out _);
        Assert.True(inString);
    }

    [Fact]
    public void StringBytesAreExactlyWellFormedUtf8()
    {
        // every lead byte with every second byte, completed with 0x80s: taken (and closable) exactly when .NET's strict
        // UTF-8 decoder reads the character
        var strict = new UTF8Encoding(false, true);
        byte[] open = [.. "{\"a\":\""u8];
        for (int lead = 0x80; lead <= 0xFF; lead++)
        {
            int length = lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
            for (int second = 0x80; second <= 0xBF; second++)
            {
                byte[] character = [(byte)lead, (byte)second, .. Enumerable.Repeat((byte)0x80, length - 2)];
                bool valid;
                try
                {
                    valid = strict.GetString(character).Length > 0;
                }
                catch (DecoderFallbackException)
                {
                    valid = false;
                }
                var (prefix, complete) = Run([.. open, .. character, (byte)'"', (byte)'}'], out _);
                Assert.True(valid == (prefix && complete), $"{lead:X2} {second:X2}: strict UTF-8 says {valid}");
            }
        }
    }

    [Fact]
    public void NestingStopsAtSystemTextJsonsDefaultMaxDepth()
    {
        // depth 64 (the object and 63 arrays) parses with System.Text.Json's defaults, depth 65 does not
        string deepest = "{\"a\":" + new string('[', 63) + new string(']', 63) + "}";
        string tooDeep = "{\"a\":" + new string('[', 64) + new string(']', 64) + "}";
        JsonDocument.Parse(deepest).Dispose();
        Assert.ThrowsAny<JsonException>(() => JsonDocument.Parse(tooDeep));
        Assert.True(Run(Encoding.UTF8.GetBytes(deepest), out _).Complete);
        Run(Encoding.UTF8.GetBytes(tooDeep), out int at);
        Assert.Equal(5 + 63, at);
    }

    [Fact]
    public void StringBytesFollowUtf8sLeadAndContinuationPattern()
    {
        byte[] open = [.. "{\"a\":\""u8];
        Assert.True(Run([.. open, 0xC3, 0xA6, (byte)'"', (byte)'}'], out _).Complete); // æ
        Assert.True(Run([.. open, 0xF0, 0x9F, 0xA6, 0x80, (byte)'"', (byte)'}'], out _).Complete); // 🦀
        Run([.. open, 0xC3, (byte)'"'], out int cut);
        Assert.Equal(open.Length + 1, cut); // a string does not end inside a character
        Run([.. open, 0xA6], out int stray);
        Assert.Equal(open.Length, stray); // a continuation byte without a lead
        Run([.. open, 0xC3, 0xC3], out int twoLeads);
        Assert.Equal(open.Length + 1, twoLeads);
        Run([.. open, 0xFF], out int never);
        Assert.Equal(open.Length, never);
        Run([.. "{\"a\":"u8, 0xC3], out int outside);
        Assert.Equal(5, outside); // non-ASCII bytes only in strings
    }

    private static readonly string[] Strings = ["", "a", "navn", "blåbær", "🦀", "q\\\"", "\\u00e6", "\\n\\t", "a b", "\\/"];
    private static readonly string[] Numbers = ["0", "-1", "42", "3.25", "-0.5e-3", "1E+9", "10", "7e2"];

    private static string Ws(Random r) => r.Next(4) switch { 0 => " ", 1 => "\n  ", _ => "" };

    private static string RandomObject(Random r, int depth)
    {
        var sb = new StringBuilder("{").Append(Ws(r));
        int n = r.Next(depth > 2 ? 2 : 4);
        for (int i = 0; i < n; i++)
        {
            if (i > 0) sb.Append(',').Append(Ws(r));
            sb.Append('"').Append(Strings[r.Next(Strings.Length)]).Append('"').Append(Ws(r)).Append(':').Append(Ws(r));
            sb.Append(RandomValue(r, depth + 1)).Append(Ws(r));
        }
        return sb.Append('}').ToString();
    }

    // Values one byte or token away from valid ones, and edge cases that are valid.
    private static readonly string[] Near =
    [
        "01", "1.", ".5", "+1", "1e", "-", "-01", "1.e5", "1e+", "tru", "nul", "True", "fals", "[1,]", "{\"a\":1,}", "{,}", "[,1]",
        "\"\\x\"", "\"\\u12g4\"", "'a'", "{\"a\"}", "{1:2}", "[1 2]", "\"a\nb\"", "\"a\tb\"", "[}", "{]",
        "1.5.2", "1e2.5", "1e2e3", "-0", "0e0", "0.0", "1E-0", "[]", "{}", "\"\\u00E6\"", "[[[]]]", "\"\\\\\"",
    ];

    private static string RandomValue(Random r, int depth) => r.Next(depth > 3 ? 6 : 8) switch
    {
        0 => "\"" + Strings[r.Next(Strings.Length)] + "\"",
        1 => Numbers[r.Next(Numbers.Length)],
        2 => "true",
        3 => "false",
        4 => "null",
        5 => Near[r.Next(Near.Length)],
        6 => RandomObject(r, depth),
        _ => "[" + string.Join("," + Ws(r), Enumerable.Range(0, r.Next(3)).Select(_ => RandomValue(r, depth + 1))) + "]",
    };

    // One character inserted, removed or replaced (by one JSON might hold), keeping the text valid UTF-16.
    private static string Mutate(Random r, string text)
    {
        const string alphabet = "{}[]:,\"\\ \n0123456789.eE+-truefalsnu ax";
        int at = r.Next(text.Length);
        if (char.IsSurrogate(text[at])) return text;
        char c = alphabet[r.Next(alphabet.Length)];
        return r.Next(3) switch
        {
            0 => text.Insert(at, c.ToString()),
            1 => text.Remove(at, 1),
            _ => text.Remove(at, 1).Insert(at, c.ToString()),
        };
    }
}
