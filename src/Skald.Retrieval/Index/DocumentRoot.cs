namespace Skald.Retrieval.Index;

/// <summary>
/// The documents root of an index (<see cref="IndexManifest.DocumentsRoot"/>): the folder its records' paths are
/// relative to. A record's <see cref="IndexRecord.Source"/> is the file's path under it with '/' separators
/// (<c>hr/ferie.md</c>; <c>../x.txt</c> for a file added from outside it), and its document and id start with that path
/// (<c>hr/ferie.md#c0</c>, <c>rows.jsonl:3</c>), so the same documents are recognised wherever the folder lies: moved,
/// renamed, or checked out on another machine. Indexes written before roots were recorded hold full paths; they
/// search as they are, and <see cref="Relative(IndexRecord, string)"/> turns their records relative to
/// <see cref="Recorded"/> (the deepest folder holding all their sources) when documents are added.
/// </summary>
public static class DocumentRoot
{
    /// <summary>
    /// The root of an index built from <paramref name="inputs"/> (files and folders, links resolved: <see cref="RealPath"/>):
    /// the deepest folder holding every one (a folder given alone is its own root; a file's root is its folder). Inputs
    /// in separate trees, whose deepest common folder is the filesystem's root (<c>/</c>; on Windows a drive's, or none
    /// across drives), are refused: their paths from there are their full paths, which name nothing once the documents
    /// move, so the caller names the root (<see cref="For"/>'s <c>given</c>; <c>/</c> too, on purpose) or indexes each tree apart.
    /// </summary>
    public static string Of(IEnumerable<string> inputs)
    {
        var folders = inputs.Select(RealPath.Of).Select(p => Directory.Exists(p) ? p : Path.GetDirectoryName(p) ?? p)
            .Select(Trim).Distinct(DocumentPaths.Comparer).ToList();
        string root = CommonFolder(folders);
        if (folders.Count > 1 && Path.GetPathRoot(root) == root && !folders.Contains(root, DocumentPaths.Comparer))
            throw new EvaluationException($"the documents lie in separate trees ({string.Join(", ", folders)}) with no common folder but {root}, " +
                $"so their paths would be recorded in full and not recognised once moved: give the documents root (--documents-root DIR; " +
                $"--documents-root {root} to record them so), or index each tree separately");
        return root;
    }

    /// <summary>
    /// The root that documents added from <paramref name="inputs"/> are made relative to: <paramref name="given"/> when
    /// the user names one; else the index's <paramref name="recorded"/> root while that folder exists (a file outside it
    /// gets a <c>../</c> path); else (the folder was moved, renamed or is on another machine, or the index has no
    /// documents yet) the root <see cref="Of"/> the inputs, so the moved folder's documents keep their paths and replace
    /// their old rows. With the paths the index holds (<paramref name="known"/>, sources relative to
    /// <paramref name="recorded"/> or full), a moved folder's new place is recognised also when only a file or subfolder
    /// of it is added: the folder, from the inputs' own root up, under which the most files given (or inside a folder
    /// given) have a path the index holds (the deepest of equals; a README.md in a subfolder also matches a README.md at
    /// the old root, but its neighbours do not). <paramref name="given"/> must hold every input. Every path is compared
    /// and returned with its links resolved (<see cref="RealPath"/>), so a folder named through a link is the folder it
    /// links to, and its documents are not added a second time under another name.
    /// </summary>
    public static string For(string? recorded, IReadOnlyCollection<string> inputs, string? given, IEnumerable<string>? known = null)
    {
        if (given is not null)
        {
            string root = RealPath.Of(given);
            if (!Directory.Exists(root))
                throw new EvaluationException(File.Exists(root) ? $"{given}: a file; the documents root is a folder holding the documents" : $"{given}: documents root folder not found");
            foreach (string input in inputs)
                if (!Holds(root, RealPath.Of(input))) throw new EvaluationException($"{input}: not inside the documents root {given}");
            return root;
        }
        if (recorded is not null && Directory.Exists(recorded)) return RealPath.Of(recorded);
        string own = Of(inputs);
        if (recorded is null || known is null) return own;
        string[] paths = [.. known.Select(s => Path.IsPathFullyQualified(s) ? Relative(recorded, s) : s)
            .Where(s => s != ".." && !s.StartsWith("../", StringComparison.Ordinal)).Distinct(DocumentPaths.Comparer)];
        string[] full = [.. inputs.Select(RealPath.Of)];
        (string Folder, int Files) best = (own, 0);
        for (string? at = own; at is not null; at = Path.GetDirectoryName(at))
        {
            // the inputs' paths under this folder: a known path names an added file when it is one of them or lies under one
            string[] added = [.. full.Select(i => Relative(at, i))];
            int files = paths.Count(path => added.Any(a => a == "." || DocumentPaths.Same(path, a) || DocumentPaths.StartsWith(path, a + "/"))
                && File.Exists(Path.Join(at, path)));
            if (files > best.Files) best = (at, files);
        }
        return best.Folder;
    }

    /// <summary>
    /// The root an index's records are relative to: the manifest's, or for an index written with full paths, the
    /// deepest folder holding every source file (null when no source is a full path: no documents yet, or none from files).
    /// </summary>
    public static string? Recorded(IndexManifest manifest, IReadOnlyList<IndexRecord> records)
    {
        if (manifest.DocumentsRoot is { Length: > 0 } root) return root;
        var folders = records.Select(r => r.Source).Distinct(DocumentPaths.Comparer).Where(Path.IsPathFullyQualified)
            .Select(s => Path.GetDirectoryName(s) ?? s).ToList();
        return folders.Count == 0 ? null : CommonFolder(folders);
    }

    /// <summary>
    /// A path made relative to <paramref name="root"/>, with '/' separators (on Windows its '\' become '/'; elsewhere
    /// a '\' is part of a file's name and stays).
    /// </summary>
    public static string Relative(string root, string path)
    {
        // under the root as the file system compares names (Path.GetRelativePath compares as .NET guesses the system does)
        string folder = Trim(root);
        string relative = DocumentPaths.Same(Trim(path), folder) ? "."
            : DocumentPaths.StartsWith(path, folder + Path.DirectorySeparatorChar) && !folder.EndsWith(Path.DirectorySeparatorChar) ? path[(folder.Length + 1)..]
            : Path.GetRelativePath(root, path);
        return Path.DirectorySeparatorChar == '/' ? relative : relative.Replace(Path.DirectorySeparatorChar, '/');
    }

    /// <summary>
    /// <paramref name="record"/> with a full source path made relative to <paramref name="root"/>, and its document and
    /// id where they start with that path (a BEIR id is left as it is); a record already relative is returned as it is.
    /// </summary>
    public static IndexRecord Relative(IndexRecord record, string root) =>
        Path.IsPathFullyQualified(record.Source) ? Rebased(record, root, root) : record;

    /// <summary>
    /// <paramref name="record"/>, whose source is relative to <paramref name="from"/> (or full), named by the same file's
    /// path under <paramref name="to"/> instead, its document and id too where they start with the source (a BEIR id is
    /// left as it is): for a root that changed while the documents stayed where they were.
    /// </summary>
    public static IndexRecord Rebased(IndexRecord record, string from, string to) => Renamed(record, Relative(to, Full(from, record.Source)));

    /// <summary><paramref name="record"/> with its file named <paramref name="source"/>, its document and id too where they start with its old source.</summary>
    private static IndexRecord Renamed(IndexRecord record, string source)
    {
        string old = record.Source;
        if (DocumentPaths.Same(source, old)) return record; // the same file, its name as recorded
        string Swapped(string value) => DocumentPaths.StartsWith(value, old) ? source + value[old.Length..] : value;
        return record with { Id = Swapped(record.Id), Document = Swapped(record.Document), Source = source };
    }

    /// <summary>
    /// <paramref name="records"/>, named under <paramref name="from"/> (or by full paths), as an index whose root becomes
    /// <paramref name="to"/> keeps them (<see cref="Rerooted{T}"/>'s rule), their documents and ids renamed with their sources.
    /// </summary>
    public static IReadOnlyList<IndexRecord> Rerooted(IReadOnlyList<IndexRecord> records, string from, string to) =>
        Rerooted(records, from, to, r => r.Source, Renamed);

    /// <summary>
    /// <paramref name="items"/> that name a file by its <paramref name="source"/> under <paramref name="from"/> (or by its
    /// full path), as an index whose root becomes <paramref name="to"/> keeps them: its rows
    /// (<see cref="Rerooted(IReadOnlyList{IndexRecord}, string, string)"/>) and the files it recorded without rows
    /// (<see cref="IndexManifest.NoText"/>, <see cref="IndexManifest.Unreadable"/>) alike. A new root above or below the
    /// old one while that folder is still there is the same tree: an item whose file is still where it says is named
    /// under the new root. Else (the old folder moved away; the new root lies beside it, a copy or a fresh checkout; or
    /// the file moved with the tree) an item keeps its path relative to the old root, the new root being where the
    /// documents went. <paramref name="renamed"/> makes an item of its new source.
    /// </summary>
    public static IReadOnlyList<T> Rerooted<T>(IReadOnlyList<T> items, string from, string to, Func<T, string> source, Func<T, string, T> renamed)
    {
        if (Directory.Exists(from)) from = RealPath.Of(from); // recorded through a link (before roots were canonical): the folder it names
        to = RealPath.Of(to);
        bool sameTree = Directory.Exists(from) && (Holds(to, from) || Holds(from, to));
        var stayed = new Dictionary<string, bool>(DocumentPaths.Comparer); // by source: a file's chunks ask once
        return [.. items.Select(item =>
        {
            string old = source(item);
            if (!stayed.TryGetValue(old, out bool there)) stayed[old] = there = sameTree && File.Exists(Full(from, old));
            return renamed(item, Relative(there ? to : from, Full(from, old)));
        })];
    }

    /// <summary>The full path of a record's <paramref name="source"/>: as it is when full, else under <paramref name="root"/> (null: as it is).</summary>
    public static string Full(string? root, string source) =>
        root is null || Path.IsPathFullyQualified(source) ? source : Path.GetFullPath(Path.Join(root, source));

    /// <summary>Whether <paramref name="path"/> is <paramref name="folder"/> or lies under it (full paths).</summary>
    private static bool Holds(string folder, string path)
    {
        string trimmed = Trim(folder);
        return DocumentPaths.Same(Trim(path), trimmed)
            || DocumentPaths.StartsWith(path, trimmed.EndsWith(Path.DirectorySeparatorChar) ? trimmed : trimmed + Path.DirectorySeparatorChar);
    }

    private static string CommonFolder(IEnumerable<string> folders)
    {
        string[]? common = null;
        foreach (string folder in folders)
        {
            var parts = Trim(folder).Split(Path.DirectorySeparatorChar);
            if (common is null) { common = parts; continue; }
            int n = 0;
            while (n < common.Length && n < parts.Length && DocumentPaths.Same(common[n], parts[n])) n++;
            common = common[..n];
        }
        if (common is null) throw new ArgumentException("no folder given", nameof(folders));
        string joined = string.Join(Path.DirectorySeparatorChar, common);
        // "/a" split is ["", "a"]: the filesystem root joins to "" (Windows: "C:"), so put its separator back
        return joined.Length == 0 || joined.EndsWith(':') ? joined + Path.DirectorySeparatorChar : joined;
    }

    private static string Trim(string path) => Path.TrimEndingDirectorySeparator(path);
}
