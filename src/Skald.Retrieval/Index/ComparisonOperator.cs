namespace Skald.Retrieval.Index;

/// <summary>How a <see cref="FieldComparison"/> compares a row's field with its value.</summary>
public enum ComparisonOperator
{
    /// <summary><c>FIELD!=VALUE</c>: the field is there and its text is not the value.</summary>
    NotEqual,

    /// <summary><c>FIELD&gt;VALUE</c>.</summary>
    Greater,

    /// <summary><c>FIELD&gt;=VALUE</c>.</summary>
    GreaterOrEqual,

    /// <summary><c>FIELD&lt;VALUE</c>.</summary>
    Less,

    /// <summary><c>FIELD&lt;=VALUE</c>.</summary>
    LessOrEqual,
}
