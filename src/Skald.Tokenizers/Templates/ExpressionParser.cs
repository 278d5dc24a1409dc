namespace Skald.Tokenizers.Templates;

/// <summary>
/// Parses Jinja expressions with jinja2/parser.py's precedence (lowest first): conditional <c>a if c else b</c>,
/// <c>or</c>, <c>and</c>, <c>not</c>, comparisons (<c>== != &lt; &lt;= &gt; &gt;= in</c>, <c>not in</c>), <c>+ -</c>,
/// <c>~</c>, <c>* / // %</c>, <c>**</c>, unary <c>- +</c>, then primaries with postfix <c>.attr</c>, <c>[i]</c>,
/// <c>[a:b:c]</c>, calls, filters <c>| f(args)</c> and tests <c>is [not] t(args)</c>.
/// </summary>
internal sealed class ExpressionParser
{
    private readonly TokenCursor _c;

    /// <summary>Creates a parser reading from <paramref name="cursor"/>.</summary>
    public ExpressionParser(TokenCursor cursor) => _c = cursor;

    /// <summary>Parses a full expression; without <paramref name="allowConditional"/> a trailing <c>if</c> is left unread.</summary>
    public Expr Parse(bool allowConditional = true)
    {
        var e = ParseOr();
        if (!allowConditional) return e;
        while (_c.Current.IsName("if"))
        {
            int pos = _c.Next().Position;
            var cond = ParseOr();
            Expr? other = _c.AcceptName("else") ? Parse() : null;
            e = new Expr { Kind = ExprKind.Conditional, Position = pos, Items = [e, cond, other] };
        }
        return e;
    }

    /// <summary>Parses an expression or an unparenthesized tuple <c>a, b</c> (as <c>{{ }}</c> and <c>for … in</c> allow).</summary>
    public Expr ParseTuple(bool allowConditional = true)
    {
        int pos = _c.Current.Position;
        var first = Parse(allowConditional);
        if (!_c.Current.IsOperator(",")) return first;
        var items = new List<Expr?> { first };
        while (_c.Accept(","))
        {
            if (IsTupleEnd()) break;
            items.Add(Parse(allowConditional));
        }
        return new Expr { Kind = ExprKind.Tuple, Position = pos, Items = items.ToArray() };
    }

    private bool IsTupleEnd() => _c.Current.Kind is TemplateTokenKind.BlockEnd or TemplateTokenKind.VariableEnd
        || _c.Current.IsOperator(")") || _c.Current.IsName("if");

    private Expr ParseOr()
    {
        var left = ParseAnd();
        while (_c.Current.IsName("or"))
        {
            int pos = _c.Next().Position;
            left = new Expr { Kind = ExprKind.Or, Position = pos, Items = [left, ParseAnd()] };
        }
        return left;
    }

    private Expr ParseAnd()
    {
        var left = ParseNot();
        while (_c.Current.IsName("and"))
        {
            int pos = _c.Next().Position;
            left = new Expr { Kind = ExprKind.And, Position = pos, Items = [left, ParseNot()] };
        }
        return left;
    }

    private Expr ParseNot()
    {
        if (_c.Current.IsName("not"))
        {
            int pos = _c.Next().Position;
            return new Expr { Kind = ExprKind.Unary, Name = "not", Position = pos, Items = [ParseNot()] };
        }
        return ParseCompare();
    }

    private Expr ParseCompare()
    {
        int pos = _c.Current.Position;
        var first = ParseMath1();
        var items = new List<Expr?> { first };
        var ops = new List<string>();
        while (true)
        {
            var t = _c.Current;
            if (t.Kind == TemplateTokenKind.Operator && t.Text is "==" or "!=" or "<" or "<=" or ">" or ">=")
            {
                _c.Next();
                ops.Add(t.Text);
            }
            else if (t.IsName("in")) { _c.Next(); ops.Add("in"); }
            else if (t.IsName("not") && _c.Peek.IsName("in")) { _c.Next(); _c.Next(); ops.Add("not in"); }
            else break;
            items.Add(ParseMath1());
        }
        return ops.Count == 0 ? first : new Expr { Kind = ExprKind.Compare, Position = pos, Items = items.ToArray(), Ops = ops.ToArray() };
    }

    private Expr ParseMath1()
    {
        var left = ParseConcat();
        while (_c.Current.IsOperator("+") || _c.Current.IsOperator("-"))
        {
            var t = _c.Next();
            left = new Expr { Kind = ExprKind.Binary, Name = t.Text, Position = t.Position, Items = [left, ParseConcat()] };
        }
        return left;
    }

    private Expr ParseConcat()
    {
        var left = ParseMath2();
        while (_c.Current.IsOperator("~"))
        {
            var t = _c.Next();
            left = new Expr { Kind = ExprKind.Binary, Name = "~", Position = t.Position, Items = [left, ParseMath2()] };
        }
        return left;
    }

    private Expr ParseMath2()
    {
        var left = ParsePow();
        while (_c.Current.Kind == TemplateTokenKind.Operator && _c.Current.Text is "*" or "/" or "//" or "%")
        {
            var t = _c.Next();
            left = new Expr { Kind = ExprKind.Binary, Name = t.Text, Position = t.Position, Items = [left, ParsePow()] };
        }
        return left;
    }

    private Expr ParsePow()
    {
        var left = ParseUnary(true);
        while (_c.Current.IsOperator("**"))
        {
            var t = _c.Next();
            left = new Expr { Kind = ExprKind.Binary, Name = "**", Position = t.Position, Items = [left, ParseUnary(true)] };
        }
        return left;
    }

    private Expr ParseUnary(bool withFilter)
    {
        var t = _c.Current;
        Expr node;
        if (t.IsOperator("-") || t.IsOperator("+"))
        {
            _c.Next();
            node = new Expr { Kind = ExprKind.Unary, Name = t.Text, Position = t.Position, Items = [ParseUnary(false)] };
        }
        else node = ParsePrimary();
        node = ParsePostfix(node);
        return withFilter ? ParseFilterAndTest(node) : node;
    }

    private Expr ParsePrimary()
    {
        var t = _c.Next();
        switch (t.Kind)
        {
            case TemplateTokenKind.Name:
                return t.Text switch
                {
                    "true" or "True" => Lit(true, t),
                    "false" or "False" => Lit(false, t),
                    "none" or "None" => Lit(null, t),
                    _ => new Expr { Kind = ExprKind.Name, Name = t.Text, Position = t.Position },
                };
            case TemplateTokenKind.String:
                string s = (string)t.Value!;
                while (_c.Current.Kind == TemplateTokenKind.String) s += (string)_c.Next().Value!;
                return Lit(s, t);
            case TemplateTokenKind.Integer:
            case TemplateTokenKind.Float:
                return Lit(t.Value, t);
            case TemplateTokenKind.Operator when t.Text == "(":
                if (_c.Accept(")")) return new Expr { Kind = ExprKind.Tuple, Position = t.Position };
                var inner = ParseTuple();
                _c.Expect(")");
                return inner;
            case TemplateTokenKind.Operator when t.Text == "[":
                return new Expr { Kind = ExprKind.List, Position = t.Position, Items = ParseItems("]") };
            case TemplateTokenKind.Operator when t.Text == "{":
                var pairs = new List<Expr?>();
                while (!_c.Current.IsOperator("}"))
                {
                    if (pairs.Count > 0) { _c.Expect(","); if (_c.Current.IsOperator("}")) break; }
                    pairs.Add(Parse());
                    _c.Expect(":");
                    pairs.Add(Parse());
                }
                _c.Expect("}");
                return new Expr { Kind = ExprKind.Dict, Position = t.Position, Items = pairs.ToArray() };
        }
        throw _c.Error(t.Position, $"unexpected {TokenCursor.Describe(t)} in an expression");
    }

    private static Expr Lit(object? value, TemplateToken t) => new() { Kind = ExprKind.Literal, Value = value, Position = t.Position };

    private Expr?[] ParseItems(string close)
    {
        var items = new List<Expr?>();
        while (!_c.Current.IsOperator(close))
        {
            if (items.Count > 0) { _c.Expect(","); if (_c.Current.IsOperator(close)) break; }
            items.Add(Parse());
        }
        _c.Expect(close);
        return items.ToArray();
    }

    private Expr ParsePostfix(Expr node)
    {
        while (true)
        {
            var t = _c.Current;
            if (t.IsOperator("."))
            {
                _c.Next();
                var nameTok = _c.Next();
                if (nameTok.Kind == TemplateTokenKind.Integer)
                    node = new Expr { Kind = ExprKind.GetItem, Position = t.Position, Items = [node, Lit(nameTok.Value, nameTok)] };
                else if (nameTok.Kind == TemplateTokenKind.Name)
                    node = new Expr { Kind = ExprKind.GetAttr, Name = nameTok.Text, Position = nameTok.Position, Items = [node] };
                else throw _c.Error(nameTok.Position, $"expected an attribute name after '.' but found {TokenCursor.Describe(nameTok)}");
            }
            else if (t.IsOperator("[")) { _c.Next(); node = ParseSubscript(node, t.Position); }
            else if (t.IsOperator("(")) { _c.Next(); node = ParseCall(ExprKind.Call, node, "", node.Position); }
            else return node;
        }
    }

    private Expr ParseSubscript(Expr target, int pos)
    {
        var parts = new Expr?[3];
        int part = 0;
        bool isSlice = false;
        while (!_c.Current.IsOperator("]"))
        {
            if (_c.Accept(":"))
            {
                isSlice = true;
                if (++part > 2) throw _c.Error(_c.Current.Position, "a slice has at most three parts");
                continue;
            }
            if (parts[part] is not null) throw _c.Error(_c.Current.Position, "expected ':' or ']' in a subscript");
            parts[part] = Parse();
        }
        _c.Expect("]");
        if (!isSlice)
        {
            if (parts[0] is null) throw _c.Error(pos, "an empty subscript");
            return new Expr { Kind = ExprKind.GetItem, Position = pos, Items = [target, parts[0]] };
        }
        return new Expr { Kind = ExprKind.Slice, Position = pos, Items = [target, parts[0], parts[1], parts[2]] };
    }

    private Expr ParseCall(ExprKind kind, Expr? target, string name, int pos, bool negated = false)
    {
        var args = new List<Expr?> { target };
        var kwargs = new List<(string, Expr)>();
        while (!_c.Current.IsOperator(")"))
        {
            if (args.Count + kwargs.Count > 1) { _c.Expect(","); if (_c.Current.IsOperator(")")) break; }
            if (_c.Current.IsOperator("*") || _c.Current.IsOperator("**"))
                throw _c.Error(_c.Current.Position, "argument unpacking (*args, **kwargs) in a call is not supported");
            if (_c.Current.Kind == TemplateTokenKind.Name && _c.Peek.IsOperator("="))
            {
                string key = _c.Next().Text;
                _c.Next();
                kwargs.Add((key, Parse()));
            }
            else
            {
                if (kwargs.Count > 0) throw _c.Error(_c.Current.Position, "a positional argument follows a keyword argument");
                args.Add(Parse());
            }
        }
        _c.Expect(")");
        return new Expr { Kind = kind, Name = name, Position = pos, Items = args.ToArray(), Kwargs = kwargs.ToArray(), Negated = negated };
    }

    /// <summary>Parses <c>| f</c>, <c>| f(args)</c> chains and <c>is [not] t</c> tests after <paramref name="node"/>.</summary>
    public Expr ParseFilterAndTest(Expr? node)
    {
        while (true)
        {
            if (_c.Current.IsOperator("|"))
            {
                _c.Next();
                node = ParseFilterCall(node);
            }
            else if (_c.Current.IsName("is"))
            {
                int pos = _c.Next().Position;
                bool negated = _c.AcceptName("not");
                string name = ParseDottedName();
                if (_c.Accept("("))
                    node = ParseCall(ExprKind.Test, node, name, pos, negated);
                else if (StartsTestArgument())
                    node = new Expr { Kind = ExprKind.Test, Name = name, Position = pos, Negated = negated, Items = [node, ParsePostfix(ParsePrimary())] };
                else node = new Expr { Kind = ExprKind.Test, Name = name, Position = pos, Negated = negated, Items = [node] };
            }
            else return node!;
        }
    }

    /// <summary>Parses the filter chain of a <c>{% filter f | g %}</c> tag; its innermost input is null (the block's text).</summary>
    public Expr ParseFilterBlockChain() => ParseFilterAndTest(ParseFilterCall(null));

    private Expr ParseFilterCall(Expr? node)
    {
        var t = _c.Current;
        string name = ParseDottedName();
        if (_c.Accept("(")) return ParseCall(ExprKind.Filter, node, name, t.Position);
        return new Expr { Kind = ExprKind.Filter, Name = name, Position = t.Position, Items = [node] };
    }

    private string ParseDottedName()
    {
        string name = _c.ExpectName();
        while (_c.Current.IsOperator(".") && _c.Peek.Kind == TemplateTokenKind.Name)
        {
            _c.Next();
            name += "." + _c.Next().Text;
        }
        return name;
    }

    private bool StartsTestArgument()
    {
        var t = _c.Current;
        if (t.Kind is TemplateTokenKind.String or TemplateTokenKind.Integer or TemplateTokenKind.Float) return true;
        if (t.Kind == TemplateTokenKind.Name) return t.Text is not ("else" or "or" or "and" or "is" or "in" or "if" or "not");
        return t.IsOperator("[") || t.IsOperator("{");
    }
}
