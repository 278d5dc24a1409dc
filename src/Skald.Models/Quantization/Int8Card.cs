using System.Text;

namespace Skald.Models.Quantization;

/// <summary>
/// The model card (README.md) of a saved int8 folder (<see cref="Int8Checkpoint"/>): the float model's card says
/// <c>library_name: sentence-transformers</c> and shows a Python load, which the hub turns into a "use this model"
/// snippet that fails on int8 weights in Skald's own layout. The card copied is marked as Skald's format instead: its
/// front matter's <c>library_name</c> is <see cref="Library"/> (and <c>skald-int8</c> joins its tags), a note under the
/// front matter says the folder loads with Skald only, and its Python usage sections go ("Direct Usage
/// (Sentence Transformers)", an LLM2Vec card's "Direct Usage (LLM2Vec)": every "Direct Usage" but Skald's).
/// A folder without a card gets a short one saying the same. The front matter is where the hub's metadata reader finds
/// it (blank lines, then a <c>---</c> line, the YAML, a closing <c>---</c> line); one opened and never closed is a
/// <see cref="ModelFormatException"/> naming the card's line (<see cref="Check"/>), not text under a front matter of
/// Skald's, where the user's metadata would silently be no metadata any more.
/// </summary>
/// <remarks>
/// The hub's reader: <c>REGEX_YAML_BLOCK</c> in
/// https://github.com/huggingface/huggingface_hub/blob/ee0a4510f4bc15e26cb722be2efc2bdb01383ca0/src/huggingface_hub/repocard.py
/// (whitespace, a <c>---</c> line, the YAML, a <c>---</c> line); without the closing line it reads no metadata.
/// </remarks>
public static class Int8Card
{
    /// <summary>The library an int8 folder's card names.</summary>
    public const string Library = "skald";

    /// <summary>The tag an int8 folder's card carries.</summary>
    public const string Tag = "skald-int8";

    /// <summary>The first words of the note; a card that holds them is marked already.</summary>
    public const string NoteStart = "**Skald int8 format: loads with Skald only.**";

    private const string Usage = "### Direct Usage (";

    /// <summary>The note put under the card's front matter.</summary>
    public static string Note =>
        $"{NoteStart} The Linear weights of this folder are int8 in Skald's own layout ({Int8Checkpoint.ConfigFile}, " +
        "`quant_method: skald-int8`), which neither sentence-transformers nor transformers reads: load it with Skald " +
        "(`skald encode --model path/to/this/folder`, `Skald.Models.SentenceEncoder.Load(\"path/to/this/folder\")`), " +
        "and give Python users the float32 model it was quantised from.";

    /// <summary>Marks the card in <paramref name="folder"/> (README.md) as an int8 folder's, or writes one when there is none.</summary>
    public static void Mark(string folder)
    {
        ArgumentNullException.ThrowIfNull(folder);
        string path = Path.Combine(folder, "README.md");
        string text = File.Exists(path) ? Marked(File.ReadAllText(path), path) : Marked("");
        File.WriteAllText(path, text, new UTF8Encoding(false));
    }

    /// <summary>
    /// Refuses (<see cref="ModelFormatException"/>, one line naming README.md and its line) the card in
    /// <paramref name="folder"/> when its front matter is opened and never closed, so that a folder is refused before
    /// any is written; nothing for a folder without a card.
    /// </summary>
    public static void Check(string folder)
    {
        ArgumentNullException.ThrowIfNull(folder);
        string path = Path.Combine(folder, "README.md");
        if (File.Exists(path)) FrontMatter(Lines(File.ReadAllText(path)), path);
    }

    /// <summary>
    /// <paramref name="card"/> marked as an int8 folder's (see <see cref="Int8Card"/>); a card marked already comes back
    /// unchanged, and "" gives a card of its own. A front matter never closed is a <see cref="ModelFormatException"/>
    /// naming <c>README.md</c> and its line.
    /// </summary>
    public static string Marked(string card) => Marked(card, "README.md");

    private static string Marked(string card, string path)
    {
        ArgumentNullException.ThrowIfNull(card);
        if (card.Contains(NoteStart, StringComparison.Ordinal)) return card;
        var lines = Lines(card);
        var (start, end) = FrontMatter(lines, path);
        var front = end > 0 ? lines[(start + 1)..end] : [];
        var body = end > 0 ? lines[(end + 1)..] : card.Length == 0 ? ["# Skald int8 model"] : lines;
        int library = front.FindIndex(l => l.StartsWith("library_name:", StringComparison.Ordinal));
        if (library >= 0) front[library] = $"library_name: {Library}";
        else front.Insert(0, $"library_name: {Library}");
        Tagged(front);
        int python;
        while ((python = body.FindIndex(l => l.StartsWith(Usage, StringComparison.Ordinal) && l.TrimEnd() != Usage + "Skald)")) >= 0)
            body = WithoutSection(body, python);
        while (body.Count > 0 && body[0].Trim().Length == 0) body.RemoveAt(0);
        var sb = new StringBuilder();
        sb.Append("---\n");
        foreach (string l in front) sb.Append(l).Append('\n');
        sb.Append("---\n\n").Append(Note).Append("\n\n");
        sb.Append(string.Join('\n', body));
        if (!sb.ToString().EndsWith('\n')) sb.Append('\n');
        return sb.ToString();
    }

    private static List<string> Lines(string card) => [.. card.ReplaceLineEndings("\n").Split('\n')];

    /// <summary>
    /// The lines that open and close the front matter of <paramref name="lines"/>: its first line that is not blank when
    /// that is <c>---</c>, and the next <c>---</c> line; (-1, -1) for a card without one. Opened and never closed: one
    /// line naming <paramref name="path"/> and the opening line.
    /// </summary>
    private static (int Start, int End) FrontMatter(List<string> lines, string path)
    {
        int start = lines.FindIndex(l => l.Trim().Length > 0);
        if (start < 0 || lines[start].Trim() != "---") return (-1, -1);
        int end = lines.FindIndex(start + 1, l => l.Trim() == "---");
        return end > 0 ? (start, end) : throw new ModelFormatException(
            $"{path}:{start + 1}: the YAML front matter opened here is never closed (no '---' line after it); close it, or remove this line " +
            "if the card has none, and run again (the card's metadata would otherwise be taken for text)");
    }

    /// <summary>
    /// <see cref="Tag"/> put first in the front matter's <c>tags</c>, in the form the card gives them: a list in brackets
    /// (or a single tag, made one), items under the key at their indent, or a new <c>tags</c> key when there is none
    /// (one key only: the hub refuses front matter with a key twice).
    /// </summary>
    private static void Tagged(List<string> front)
    {
        int at = front.FindIndex(l => l.StartsWith("tags:", StringComparison.Ordinal));
        if (at < 0)
        {
            front.AddRange(["tags:", $"- {Tag}"]);
            return;
        }
        string inline = front[at]["tags:".Length..].Trim();
        if (inline.Length > 0 && !inline.StartsWith('#')) // (a comment after the key: the items follow)
        {
            string others = inline.StartsWith('[') && inline.EndsWith(']') ? inline[1..^1].Trim() : inline;
            front[at] = $"tags: [{Tag}{(others.Length > 0 ? ", " + others : "")}]";
            return;
        }
        string next = at + 1 < front.Count ? front[at + 1] : "";
        string indent = next.TrimStart().StartsWith('-') ? next[..(next.Length - next.TrimStart().Length)] : "";
        front.Insert(at + 1, $"{indent}- {Tag}");
    }

    /// <summary><paramref name="body"/> without the section whose heading is line <paramref name="start"/> (up to the next heading).</summary>
    private static List<string> WithoutSection(List<string> body, int start)
    {
        int next = -1;
        bool fence = false; // a '#' line inside a code block is a comment, not a heading
        for (int i = start + 1; i < body.Count && next < 0; i++)
        {
            if (body[i].StartsWith("```", StringComparison.Ordinal)) fence = !fence;
            else if (!fence && body[i].StartsWith('#')) next = i;
        }
        return next < 0 ? body[..start] : [.. body[..start], .. body[next..]];
    }
}
