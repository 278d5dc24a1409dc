namespace Skald.Tokenizers.Templates;

/// <summary>A read position in the token list shared by the statement and expression parsers.</summary>
internal sealed class TokenCursor
{
    private readonly List<TemplateToken> _tokens;
    private int _index;

    /// <summary>Creates a cursor over <paramref name="tokens"/> of <paramref name="source"/>.</summary>
    public TokenCursor(List<TemplateToken> tokens, string source)
    {
        _tokens = tokens;
        Source = source;
    }

    /// <summary>The normalized template source (for error locations).</summary>
    public string Source { get; }

    /// <summary>The current token.</summary>
    public TemplateToken Current => _tokens[_index];

    /// <summary>The token after the current one.</summary>
    public TemplateToken Peek => _tokens[Math.Min(_index + 1, _tokens.Count - 1)];

    /// <summary>Returns the current token and advances.</summary>
    public TemplateToken Next()
    {
        var t = _tokens[_index];
        if (_index < _tokens.Count - 1) _index++;
        return t;
    }

    /// <summary>Advances past operator <paramref name="op"/> if it is current.</summary>
    public bool Accept(string op)
    {
        if (!Current.IsOperator(op)) return false;
        Next();
        return true;
    }

    /// <summary>Advances past name <paramref name="name"/> if it is current.</summary>
    public bool AcceptName(string name)
    {
        if (!Current.IsName(name)) return false;
        Next();
        return true;
    }

    /// <summary>Consumes operator <paramref name="op"/> or fails.</summary>
    public void Expect(string op)
    {
        if (!Accept(op)) throw Error(Current.Position, $"expected '{op}' but found {Describe(Current)}");
    }

    /// <summary>Consumes a name token and returns it, or fails.</summary>
    public string ExpectName()
    {
        if (Current.Kind != TemplateTokenKind.Name) throw Error(Current.Position, $"expected a name but found {Describe(Current)}");
        return Next().Text;
    }

    /// <summary>Consumes the end of a tag of the given kind, or fails.</summary>
    public void ExpectEnd(TemplateTokenKind kind)
    {
        if (Current.Kind != kind)
            throw Error(Current.Position, $"expected the end of the tag ('{(kind == TemplateTokenKind.BlockEnd ? "%}" : "}}")}') but found {Describe(Current)}");
        Next();
    }

    /// <summary>A readable description of a token for error messages.</summary>
    public static string Describe(TemplateToken t) => t.Kind switch
    {
        TemplateTokenKind.End => "the end of the template",
        TemplateTokenKind.Data => "text",
        TemplateTokenKind.BlockEnd => "'%}'",
        TemplateTokenKind.VariableEnd => "'}}'",
        TemplateTokenKind.String => "a string",
        _ => $"'{t.Text}'",
    };

    /// <summary>A parse error at <paramref name="pos"/>.</summary>
    public ChatTemplateException Error(int pos, string message) => TemplateErrors.At(Source, pos, message);
}
