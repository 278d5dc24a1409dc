using System.Text;

namespace Skald.Cli.Tests.Hub;

/// <summary>
/// NanoBEIR datasets as <see cref="MockHub"/> serves them, in the two layouts <c>skald evaluate --nanobeir</c> reads:
/// documents <c>d0, d1, ...</c>, queries <c>q0, q1, ...</c>, and qrels naming the relevant (query, document) pairs
/// without a score column.
/// </summary>
internal static class NanoBeirRepos
{
    private static readonly byte[] Readme = Encoding.ASCII.GetBytes("---\nconfigs: []\n---\n");

    /// <summary>One dataset as Zeta Alpha publishes it: <c>zeta-alpha-ai/{name}</c>, folders corpus/, queries/ and qrels/ of split train.</summary>
    public static MockRepo ZetaAlpha(string name, string[] docs, string[] questions, string[] qid, string[] did) => new("zeta-alpha-ai/" + name,
        new Dictionary<string, byte[]>
        {
            ["README.md"] = Readme,
            ["corpus/train-00000-of-00001.parquet"] = Corpus(docs),
            ["queries/train-00000-of-00001.parquet"] = Queries(questions),
            ["qrels/train-00000-of-00001.parquet"] = Qrels(qid, did),
        }, dataset: true);

    /// <summary>
    /// Several datasets in one repository <paramref name="id"/>, as sentence-transformers publishes NanoBEIR-en: subsets
    /// corpus, queries and qrels, a split per dataset named as the dataset (<c>NanoMSMARCO</c>).
    /// </summary>
    public static MockRepo SentenceTransformers(string id, params (string Name, string[] Docs, string[] Questions, string[] Qid, string[] Did)[] sets)
    {
        var files = new Dictionary<string, byte[]> { ["README.md"] = Readme };
        foreach (var (name, docs, questions, qid, did) in sets)
        {
            files[$"corpus/{name}-00000-of-00001.parquet"] = Corpus(docs);
            files[$"queries/{name}-00000-of-00001.parquet"] = Queries(questions);
            files[$"qrels/{name}-00000-of-00001.parquet"] = Qrels(qid, did);
        }
        return new MockRepo(id, files, dataset: true);
    }

    private static string[] Ids(string prefix, int count) => [.. Enumerable.Range(0, count).Select(i => prefix + i)];

    private static byte[] Corpus(string[] docs) => ParquetFixture.Bytes(("_id", Ids("d", docs.Length)), ("text", docs));

    private static byte[] Queries(string[] questions) => ParquetFixture.Bytes(("_id", Ids("q", questions.Length)), ("text", questions));

    private static byte[] Qrels(string[] qid, string[] did) => ParquetFixture.Bytes(("query-id", qid), ("corpus-id", did));
}
