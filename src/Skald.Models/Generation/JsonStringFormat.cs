namespace Skald.Models.Generation;

/// <summary>The string <c>format</c>s a compiled schema checks (<see cref="JsonFormatReader"/>); others are annotations.</summary>
internal enum JsonStringFormat : byte
{
    /// <summary>No format checked.</summary>
    None,

    /// <summary>RFC 3339's full-date: <c>2024-02-29</c>.</summary>
    Date,

    /// <summary>RFC 3339's full-time: <c>13:05:59.5+01:00</c>.</summary>
    Time,

    /// <summary>RFC 3339's date-time: <c>2024-02-29T13:05:59Z</c>.</summary>
    DateTime,

    /// <summary>RFC 4122's string form: <c>123e4567-e89b-12d3-a456-426614174000</c>.</summary>
    Uuid,

    /// <summary>RFC 2673's dotted quad: <c>192.168.0.1</c>.</summary>
    Ipv4,
}
