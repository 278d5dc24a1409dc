#!/usr/bin/python3
"""Skald's BM25 against Xapian's BM25 with the same Snowball stemmer, on every retrieval task of ../shared/data.

Skald's side runs `skald evaluate --model bm25` (its own metrics); Xapian's side indexes title + text with
xapian.TermGenerator + Stem(language), searches with QueryParser (OR of terms) and xapian.BM25Weight, and is scored
here with the same trec_eval definitions Skald uses (ties by document id descending, graded nDCG with log2 discount,
MRR over the top 10, recall over all relevant documents).

Usage (from the repository root, Debian packages python3-xapian and libstemmer0d installed):
    /usr/bin/python3 scripts/bm25_xapian/compare.py [--data ../shared/data] [--skald "dotnet path/to/skald.dll"]
Default --skald: `dotnet run -c Release --project src/Skald.Cli --`.
"""
import argparse
import json
import math
import os
import shlex
import subprocess
import sys
import tempfile

import xapian

LANG = {"da": "danish", "nb": "norwegian", "nn": "norwegian", "no": "norwegian", "sv": "swedish", "en": "english"}


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def read_qrels(path):
    qrels = {}
    with open(path, encoding="utf-8") as f:
        for i, line in enumerate(f):
            parts = line.rstrip("\n").split("\t")
            if i == 0 and parts[0] == "query-id":
                continue
            qrels.setdefault(parts[0], {})[parts[1]] = int(parts[2])
    return qrels


def metrics(run, qrels):
    """Mean nDCG@10, MRR@10, recall@100 and accuracy@1 over the judged queries (trec_eval definitions)."""
    totals = {"ndcg_at_10": 0.0, "mrr_at_10": 0.0, "recall_at_100": 0.0, "accuracy_at_1": 0.0}
    for qid, judged in qrels.items():
        scored = run.get(qid, [])
        # score descending, ties by document id descending (trec_eval): stable sort by id first, then by score
        ranked = [d for d, _ in sorted(sorted(scored, key=lambda p: p[0], reverse=True), key=lambda p: -p[1])]
        rel = {d for d, g in judged.items() if g >= 1}
        dcg = sum(judged.get(d, 0) / math.log2(i + 2) for i, d in enumerate(ranked[:10]) if judged.get(d, 0) > 0)
        ideal = sorted((g for g in judged.values() if g > 0), reverse=True)[:10]
        idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
        totals["ndcg_at_10"] += dcg / idcg if idcg > 0 else 0
        totals["mrr_at_10"] += next((1 / (i + 1) for i, d in enumerate(ranked[:10]) if d in rel), 0)
        totals["recall_at_100"] += len(rel & set(ranked[:100])) / len(rel) if rel else 0
        totals["accuracy_at_1"] += 1 if ranked[:1] and ranked[0] in rel else 0
    return {k: v / len(qrels) for k, v in totals.items()}


def xapian_run(folder, language, strategy, k1=1.0, b=0.5):
    corpus = read_jsonl(os.path.join(folder, "corpus.jsonl"))
    queries = {q["_id"]: q["text"] for q in read_jsonl(os.path.join(folder, "queries.jsonl"))}
    qrels = read_qrels(os.path.join(folder, "qrels", "test.tsv"))
    stem = xapian.Stem(LANG[language])
    db = xapian.WritableDatabase("", xapian.DB_BACKEND_INMEMORY)
    tg = xapian.TermGenerator()
    tg.set_stemmer(stem)
    tg.set_stemming_strategy(getattr(xapian.TermGenerator, strategy))
    ids = []
    for doc in corpus:
        d = xapian.Document()
        tg.set_document(d)
        tg.index_text((doc.get("title") or "") + " " + doc["text"])
        ids.append(doc["_id"])
        db.add_document(d)
    qp = xapian.QueryParser()
    qp.set_stemmer(stem)
    qp.set_stemming_strategy(getattr(xapian.QueryParser, strategy))
    qp.set_database(db)
    qp.set_default_op(xapian.Query.OP_OR)
    enquire = xapian.Enquire(db)
    enquire.set_weighting_scheme(xapian.BM25Weight(k1, 0, 1, b, 0.5))
    run = {}
    for qid in qrels:
        try:
            query = qp.parse_query(queries[qid], 0)  # no boolean syntax: plain terms
        except xapian.QueryParserError:
            query = xapian.Query()
        enquire.set_query(query)
        run[qid] = [(ids[m.docid - 1], m.weight) for m in enquire.get_mset(0, 1000)]
    return metrics(run, qrels)


def skald_run(skald, folder):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "r.json")
        subprocess.run(skald + ["evaluate", "--model", "bm25", "--task", folder, "--output", out, "--quiet"], check=True)
        with open(out, encoding="utf-8") as f:
            r = json.load(f)
    m = r["metrics"]
    return {k: m[k] for k in ("ndcg_at_10", "mrr_at_10", "recall_at_100", "accuracy_at_1")}, r["metadata"].get("model.stemming", "?")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.dirname(os.path.dirname(here))
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=os.path.join(repo, "..", "shared", "data"))
    ap.add_argument("--skald", default=f"dotnet run -c Release --project {os.path.join(repo, 'src', 'Skald.Cli')} --")
    args = ap.parse_args()
    skald = shlex.split(args.skald)
    root = os.path.join(args.data, "retrieval")
    tasks = sorted(t for t in os.listdir(root) if os.path.isdir(os.path.join(root, t)))
    header = f"{'task':<16} {'metric':<14} {'skald bm25':>11} {'xapian some':>12} {'xapian all':>11}  skald ≥ xapian"
    print(header)
    print("-" * len(header))
    worse = 0
    for t in tasks:
        folder = os.path.join(root, t)
        lang = t.rsplit("-", 1)[-1]
        s, stemming = skald_run(skald, folder)
        x_some = xapian_run(folder, lang, "STEM_SOME")
        x_all = xapian_run(folder, lang, "STEM_ALL")
        for k in s:
            ok = s[k] >= max(x_some[k], x_all[k]) - 1e-12
            worse += 0 if ok or k != "ndcg_at_10" else 1
            print(f"{t:<16} {k:<14} {s[k]:>11.4f} {x_some[k]:>12.4f} {x_all[k]:>11.4f}  {'yes' if ok else 'NO'}")
        print(f"{'':<16} (skald stemming: {stemming}; xapian {xapian.version_string()}: Stem('{LANG[lang]}'), BM25Weight(k1=1, b=0.5))")
    print()
    print("nDCG@10: Skald's BM25 is at least as good as Xapian's on every task" if worse == 0
          else f"nDCG@10: Skald's BM25 is below Xapian's on {worse} task(s)")
    return 1 if worse else 0


if __name__ == "__main__":
    sys.exit(main())
