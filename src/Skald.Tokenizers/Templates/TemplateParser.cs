namespace Skald.Tokenizers.Templates;

/// <summary>
/// Parses the token stream into statements: text, <c>{{ … }}</c>, <c>if/elif/else</c>, <c>for … in … [if …]</c> with
/// <c>else</c>, <c>set</c> (plain, unpacking, namespace attribute, block form), <c>macro</c>, <c>filter</c> blocks,
/// <c>break</c>/<c>continue</c> (Hugging Face enables jinja2.ext.loopcontrols) and Hugging Face's <c>generation</c> block.
/// Any other tag fails with one line naming it.
/// </summary>
internal sealed class TemplateParser
{
    private static readonly HashSet<string> Unsupported = new(StringComparer.Ordinal)
    {
        "include", "extends", "import", "from", "block", "call", "with", "do", "autoescape", "trans", "pluralize", "print",
    };

    private readonly TokenCursor _c;
    private readonly ExpressionParser _expr;
    private int _loopDepth;

    private TemplateParser(TokenCursor cursor)
    {
        _c = cursor;
        _expr = new ExpressionParser(cursor);
    }

    /// <summary>Parses a whole template.</summary>
    public static List<Stmt> Parse(string normalizedSource)
    {
        var parser = new TemplateParser(new TokenCursor(TemplateLexer.Tokenize(normalizedSource), normalizedSource));
        var body = parser.ParseBody(out string? end);
        if (end is not null) throw parser._c.Error(parser._c.Current.Position, $"unexpected '{{% {end} %}}'");
        return body;
    }

    /// <summary>
    /// Parses statements until a block tag whose keyword is in <paramref name="terminators"/> (returned in
    /// <paramref name="end"/>, with the cursor just after the keyword) or the end of the template (end = null).
    /// </summary>
    private List<Stmt> ParseBody(out string? end, params string[] terminators)
    {
        var body = new List<Stmt>();
        while (true)
        {
            var t = _c.Current;
            switch (t.Kind)
            {
                case TemplateTokenKind.End:
                    end = null;
                    return body;
                case TemplateTokenKind.Data:
                    _c.Next();
                    body.Add(new Stmt { Kind = StmtKind.Text, Position = t.Position, Text = (string)t.Value! });
                    break;
                case TemplateTokenKind.VariableBegin:
                    _c.Next();
                    var value = _expr.ParseTuple();
                    _c.ExpectEnd(TemplateTokenKind.VariableEnd);
                    body.Add(new Stmt { Kind = StmtKind.Print, Position = t.Position, Value = value });
                    break;
                case TemplateTokenKind.BlockBegin:
                    _c.Next();
                    var kw = _c.Current;
                    if (kw.Kind != TemplateTokenKind.Name) throw _c.Error(kw.Position, $"expected a tag name after '{{%' but found {TokenCursor.Describe(kw)}");
                    if (Array.IndexOf(terminators, kw.Text) >= 0)
                    {
                        _c.Next();
                        end = kw.Text;
                        return body;
                    }
                    body.Add(ParseStatement());
                    break;
                default:
                    throw _c.Error(t.Position, $"unexpected {TokenCursor.Describe(t)}");
            }
        }
    }

    private Stmt ParseStatement()
    {
        var kw = _c.Next();
        switch (kw.Text)
        {
            case "if": return ParseIf(kw.Position);
            case "for": return ParseFor(kw.Position);
            case "set": return ParseSet(kw.Position);
            case "macro": return ParseMacro(kw.Position);
            case "filter": return ParseFilterBlock(kw.Position);
            case "generation":
                _c.ExpectEnd(TemplateTokenKind.BlockEnd);
                var gen = ParseBlockTo("endgeneration", kw.Position);
                return new Stmt { Kind = StmtKind.Generation, Position = kw.Position, Body = gen };
            case "break":
            case "continue":
                if (_loopDepth == 0) throw _c.Error(kw.Position, $"'{{% {kw.Text} %}}' outside a for loop");
                _c.ExpectEnd(TemplateTokenKind.BlockEnd);
                return new Stmt { Kind = kw.Text == "break" ? StmtKind.Break : StmtKind.Continue, Position = kw.Position };
        }
        if (Unsupported.Contains(kw.Text)) throw _c.Error(kw.Position, $"the tag '{{% {kw.Text} %}}' is not supported");
        throw _c.Error(kw.Position, $"unknown tag '{{% {kw.Text} %}}'");
    }

    private List<Stmt> ParseBlockTo(string endTag, int openPos)
    {
        var body = ParseBody(out string? end, endTag);
        if (end is null) throw _c.Error(openPos, $"the block is not closed ('{{% {endTag} %}}' missing)");
        _c.ExpectEnd(TemplateTokenKind.BlockEnd);
        return body;
    }

    private Stmt ParseIf(int pos)
    {
        var branches = new List<(Expr, List<Stmt>)>();
        var cond = _expr.Parse();
        _c.ExpectEnd(TemplateTokenKind.BlockEnd);
        List<Stmt> elseBody = [];
        while (true)
        {
            var body = ParseBody(out string? end, "elif", "else", "endif");
            if (end is null) throw _c.Error(pos, "the if block is not closed ('{% endif %}' missing)");
            branches.Add((cond, body));
            if (end == "elif")
            {
                cond = _expr.Parse();
                _c.ExpectEnd(TemplateTokenKind.BlockEnd);
                continue;
            }
            _c.ExpectEnd(TemplateTokenKind.BlockEnd);
            if (end == "else") elseBody = ParseBlockTo("endif", pos);
            break;
        }
        return new Stmt { Kind = StmtKind.If, Position = pos, Branches = branches, Else = elseBody };
    }

    private Stmt ParseFor(int pos)
    {
        var targets = new List<string> { _c.ExpectName() };
        while (_c.Accept(",")) targets.Add(_c.ExpectName());
        if (!_c.AcceptName("in")) throw _c.Error(_c.Current.Position, $"expected 'in' in the for tag but found {TokenCursor.Describe(_c.Current)}");
        var iter = _expr.ParseTuple(allowConditional: false);
        Expr? filter = _c.AcceptName("if") ? _expr.Parse() : null;
        if (_c.Current.IsName("recursive")) throw _c.Error(_c.Current.Position, "recursive for loops are not supported");
        _c.ExpectEnd(TemplateTokenKind.BlockEnd);
        _loopDepth++;
        var body = ParseBody(out string? end, "else", "endfor");
        _loopDepth--;
        if (end is null) throw _c.Error(pos, "the for block is not closed ('{% endfor %}' missing)");
        _c.ExpectEnd(TemplateTokenKind.BlockEnd);
        List<Stmt> elseBody = end == "else" ? ParseBlockTo("endfor", pos) : [];
        return new Stmt { Kind = StmtKind.For, Position = pos, Targets = targets.ToArray(), Value = iter, Condition = filter, Body = body, Else = elseBody };
    }

    private Stmt ParseSet(int pos)
    {
        string first = _c.ExpectName();
        if (_c.Current.IsOperator(".") && _c.Peek.Kind == TemplateTokenKind.Name)
        {
            _c.Next();
            string attr = _c.Next().Text;
            _c.Expect("=");
            var v = _expr.ParseTuple();
            _c.ExpectEnd(TemplateTokenKind.BlockEnd);
            return new Stmt { Kind = StmtKind.Set, Position = pos, Targets = [first], Attribute = attr, Value = v };
        }
        var targets = new List<string> { first };
        while (_c.Accept(",")) targets.Add(_c.ExpectName());
        if (_c.Accept("="))
        {
            var v = _expr.ParseTuple();
            _c.ExpectEnd(TemplateTokenKind.BlockEnd);
            return new Stmt { Kind = StmtKind.Set, Position = pos, Targets = targets.ToArray(), Value = v };
        }
        if (targets.Count > 1) throw _c.Error(_c.Current.Position, "expected '=' in the set tag");
        Expr? filter = _c.Current.IsOperator("|") ? _expr.ParseFilterAndTest(null) : null;
        _c.ExpectEnd(TemplateTokenKind.BlockEnd);
        var body = ParseBlockTo("endset", pos);
        return new Stmt { Kind = StmtKind.SetBlock, Position = pos, Text = first, Value = filter, Body = body };
    }

    private Stmt ParseMacro(int pos)
    {
        string name = _c.ExpectName();
        var parameters = new List<(string, Expr?)>();
        _c.Expect("(");
        while (!_c.Current.IsOperator(")"))
        {
            if (parameters.Count > 0) _c.Expect(",");
            string p = _c.ExpectName();
            parameters.Add((p, _c.Accept("=") ? _expr.Parse() : null));
        }
        _c.Expect(")");
        _c.ExpectEnd(TemplateTokenKind.BlockEnd);
        int saved = _loopDepth;
        _loopDepth = 0;
        var body = ParseBlockTo("endmacro", pos);
        _loopDepth = saved;
        return new Stmt { Kind = StmtKind.Macro, Position = pos, Text = name, Parameters = parameters, Body = body };
    }

    private Stmt ParseFilterBlock(int pos)
    {
        if (_c.Current.Kind != TemplateTokenKind.Name) throw _c.Error(_c.Current.Position, "expected a filter name");
        var chain = _expr.ParseFilterBlockChain();
        _c.ExpectEnd(TemplateTokenKind.BlockEnd);
        var body = ParseBlockTo("endfilter", pos);
        return new Stmt { Kind = StmtKind.FilterBlock, Position = pos, Value = chain, Body = body };
    }
}
