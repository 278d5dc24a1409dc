"""BM25 over per-language fields: the statistics variants and the language guesser, measured (docs/performance.md,
"BM25 across languages", 2026-12-07).

A Python restatement of Skald's BM25 analyzer (lower-cased runs of letters and digits, Snowball stems through
libstemmer, Debian libstemmer0d), of its LanguageGuesser before (OLD_WORDS) and after (guess) 2026-12-07, and of BM25
(ATIRE or Lucene idf, k1 0.9, b 0.4) over one field per stemmer with three kinds of statistics:
  mix    -- each field's own df, N and avgdl of the whole index (Skald before 2026-12-07)
  lucene -- each field's own df, docCount and avgdl (Lucene's BM25Similarity per field, a multi_match over fields)
  blend  -- a query word's df summed over the fields (its documents in any field), N and avgdl of the whole index
            (Skald since 2026-12-07)
nDCG@10 with ties broken by document id, descending (trec_eval).

Run: /usr/bin/python3 scripts/bm25_fields/compare.py TASK[,TASK...]   (sample, xquad-da, xquad-nb, xquad-sv,
     norquad-val-nb, xquad-mix; shared data from SKALD_SHARED_DATA, default ../shared/data)
     /usr/bin/python3 scripts/bm25_fields/compare.py --guesser     (confusion matrices of the guessers)
     /usr/bin/python3 scripts/bm25_fields/compare.py --guesser-split   (before/after the Swedish cues, tuning and held-out rows)
"""
import collections
import ctypes
import json
import math
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHARED = os.environ.get("SKALD_SHARED_DATA", os.path.join(ROOT, "..", "shared", "data"))


class Stemmers:
    """Snowball stemmers of libstemmer by algorithm name, with a cache of stems."""

    def __init__(self):
        self.lib = ctypes.CDLL("libstemmer.so.0d")
        self.lib.sb_stemmer_new.restype = ctypes.c_void_p
        self.lib.sb_stemmer_new.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
        self.lib.sb_stemmer_stem.restype = ctypes.POINTER(ctypes.c_ubyte)
        self.lib.sb_stemmer_stem.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
        self.lib.sb_stemmer_length.argtypes = [ctypes.c_void_p]
        self.handles, self.cache = {}, {}

    def stem(self, algorithm, word):
        if algorithm is None:
            return word
        key = (algorithm, word)
        if key not in self.cache:
            if algorithm not in self.handles:
                self.handles[algorithm] = self.lib.sb_stemmer_new(algorithm.encode(), b"UTF_8")
            h, raw = self.handles[algorithm], word.encode()
            out = self.lib.sb_stemmer_stem(h, raw, len(raw))
            self.cache[key] = bytes(out[: self.lib.sb_stemmer_length(h)]).decode()
        return self.cache[key]


STEMMERS = Stemmers()
ALGORITHM = {"da": "danish", "nb": "norwegian", "nn": "norwegian", "sv": "swedish", "en": "english"}
TOKEN = re.compile(r"[^\W_]+(?:[.,]\d+)*")


def analyse(text, algorithm):
    return [STEMMERS.stem(algorithm, w) for w in TOKEN.findall(text.lower())]


# ---- the language guesser, before and after ----
def words(s):
    return set(s.split())


OLD_WORDS = [
    ("nb", words("ikke hva noen mye nå etter blir av jeg hvordan hvor fra være skal også hun mange bare gjøre dette deg meg seg hvis "
                 "ble veldig ingen hvem noe mer mellom igjen opp ut inn tilbake gjerne kanskje alltid aldri litt")),
    ("nn", words("ikkje eg kva korleis ein eit dei vere berre mykje nokon frå òg kven kvar fleire ho meir noko vore vart desse heilt sjølv")),
    ("da", words("ikke hvad nogen meget nu efter bliver af jeg hvordan hvor fra være skal også hun mange bare gøre dette dig mig sig "
                 "hvis blev ingen nogle sådan mere hvem hvornår noget igen op ud ind tilbage mellem gerne måske altid aldrig lidt")),
    ("sv", words("inte vad någon mycket nu efter blir av jag hur var från vara ska också hon många bara göra detta dig mig sig blev "
                 "ingen och är att för till")),
    ("en", words("the and is are of in that what how which with not this from was you it on can does where when who why there they")),
]
NEW_WORDS = [
    ("nb", words("hva noen mye ble blitt blir vært veldig noe mer gjøre fikk uten annen annet hennes jeg ikke ingen hvordan hvis hvem være fra "
                 "også hun bare hvor deg meg seg mellom opp ut inn tilbake gjerne kanskje litt etter hadde mot blant oss enn gjennom nå "
                 "av dem de et en ei")),
    ("nn", words("ikkje eg kva korleis ein eit dei vere vore berre mykje nokon noko nokre frå òg kven kvar fleire ho meir vart vert "
                 "vorte desse sjølv hjå sidan medan difor saman eigen eigne heile gjere kjem kome fekk hennar deira dykk utan innan "
                 "enno ikring mellom opp ut inn etter mot gjennom meg deg seg nå av blir ingen")),
    ("da", words("hvad nogen nogle noget meget bliver blev af efter mere hvornår op ud ind tilbage mellem gerne måske altid aldrig "
                 "lidt havde fik uden mod gennem blandt været blevet anden andet vores hendes os end nej jeg ikke hvordan hvis hvem "
                 "være fra også hun bare hvor dig mig sig nu de et en ingen")),
    ("sv", words("inte vad någon något några mycket nu efter blir av jag hur var från vara ska också hon många bara göra detta dig "
                 "mig sig blev ingen och är att för till när")),
    OLD_WORDS[4],
]
# 2026-12-07 (session 54), Swedish on short sentences: "var" out ("was" in all four languages: Norwegian and Danish
# sentences with it were Swedish), words only Swedish spells so in (tuned on the TUNE rows of --guesser-split alone)
SWEDISH_WORDS = (NEW_WORDS[3][1] - {"var"}) | words(
    "icke blivit varit finns alltså mellan varje vem vilken vilka vilket dessa kunna sedan hade ju måste skall sina honom deras "
    "våra mina dina denna dessutom bland genom kanske redan sådana inget fick gick fanns upp inom olika flera fler mera hela dock "
    "tillbaka tidigare senare alla andra nya stora gamla goda samma vid ifrån tio")
SPLIT = re.compile(r"[\s,.?!:;\"()]+")  # any white space, as LanguageGuesser (a CRLF line's \r too, since session 55)
NB, NN, DA, SV = 0, 1, 2, 3


def best(score, markers):
    b = max(range(len(score)), key=lambda i: (score[i], -i))
    return markers[b][0] if score[b] > 0 else None


def guess_old(text):
    score = [0.0] * 5
    for w in filter(None, SPLIT.split(text)):
        for i, (_, ws) in enumerate(OLD_WORDS):
            score[i] += w.lower() in ws
    for c in text:
        if c in "æøÆØ":
            score[NB] += .5; score[NN] += .5; score[DA] += .5
        elif c in "äöÄÖ":
            score[SV] += .5
    return best(score, OLD_WORDS)


def guess(text, swedish=True):
    """Skald's LanguageGuesser; swedish=False: as it was before the Swedish cues of 2026-12-07 (session 54)."""
    lists = NEW_WORDS if not swedish else NEW_WORDS[:3] + [("sv", SWEDISH_WORDS), NEW_WORDS[4]]
    score = [0.0] * 5
    for raw in filter(None, SPLIT.split(text)):
        w = raw.lower()
        for i, (_, ws) in enumerate(lists):
            score[i] += w in ws
        if swedish:  # ä/ö: 1.5 each in a lower-case word, 0.5 in a capitalised one (a Swedish or German name in Norwegian)
            score[SV] += sum(c in "äö" for c in w) * (.5 if raw[0].isupper() else 1.5)
        if len(w) < 3 or not w.isalpha():
            continue
        if re.search(r"[aeøæ]j", w) or re.search(r"tion(en|er|erne)?$", w):
            score[DA] += .5
        if re.search(r"øy|ei|au", w) or re.match(r"kj|gj|sj|skj", w):
            score[NB] += .25; score[NN] += .25
        if re.search(r"(ll|kk|tt|mm|nn|pp)$", w):
            score[NB] += .25; score[NN] += .25
            if swedish and not w.endswith("kk"):
                score[SV] += .25
        if re.search(r"[gk]jer$", w) or (len(w) > 4 and re.search(r"(ar|ane|leg|legt|lege)$", w)):
            score[NN] += .5
        if w.startswith("af") and len(w) > 4:
            score[DA] += .5
        if swedish:
            if len(w) > 4 and w.endswith("ar"):
                score[SV] += .5
            if "ck" in w:
                score[SV] += .5
            if len(w) > 5 and re.search(r"(arna|erna|orna|ade|ades|as)$", w):
                score[SV] += .5
    for c in text:
        if c in "æÆ":
            score[DA] += .5; score[NB] += .25; score[NN] += .25
        elif c in "øØ":
            score[NB] += .5; score[NN] += .5; score[DA] += .5
        elif c in "äöÄÖ" and not swedish:
            score[SV] += .5
    return best(score, lists)


# ---- BM25 over fields ----
def full(d):
    return d["text"] if not d.get("title") else d["title"] + " " + d["text"]


def index(corpus, algorithms, k1=.9, b=.4):
    fields = sorted({a or "none" for a in algorithms})
    field_of = [fields.index(a or "none") for a in algorithms]
    terms = [analyse(full(d), a) for d, a in zip(corpus, algorithms)]
    postings = [collections.defaultdict(list) for _ in fields]
    for d, ts in enumerate(terms):
        for t, tf in collections.Counter(ts).items():
            postings[field_of[d]][t].append((d, tf))
    length = [len(t) for t in terms]
    members = [[d for d in range(len(corpus)) if field_of[d] == f] for f in range(len(fields))]
    return dict(fields=fields, postings=postings, length=length, n=len(corpus), avgdl=sum(length) / len(length),
                field_n=[len(m) for m in members], field_avgdl=[sum(length[d] for d in m) / max(1, len(m)) for m in members],
                k1=k1, b=b)


def idf(n, df, kind):
    return math.log(n / df) if kind == "atire" else math.log(1 + (n - df + .5) / (df + .5))


def scores(ix, query, statistics, kind):
    per_field = [analyse(query, None if f == "none" else f) for f in ix["fields"]]
    acc = collections.defaultdict(float)
    for i in range(len(per_field[0])):
        for f in range(len(ix["fields"])):
            hits = ix["postings"][f].get(per_field[f][i])
            if not hits:
                continue
            if statistics == "mix":
                n, avgdl, df = ix["n"], ix["avgdl"], len(hits)
            elif statistics == "lucene":
                n, avgdl, df = ix["field_n"][f], ix["field_avgdl"][f], len(hits)
            else:
                n, avgdl = ix["n"], ix["avgdl"]
                df = sum(len(ix["postings"][g].get(per_field[g][i], ())) for g in range(len(ix["fields"])))
            w = idf(n, df, kind)
            for d, tf in hits:
                acc[d] += w * tf * (ix["k1"] + 1) / (tf + ix["k1"] * (1 - ix["b"] + ix["b"] * ix["length"][d] / avgdl))
    return acc


def ndcg10(corpus, queries, qrels, ix, statistics="mix", kind="atire"):
    total = 0.0
    judged = [q for q in queries if q["_id"] in qrels]
    for q in judged:
        rel = qrels[q["_id"]]
        ranked = sorted(scores(ix, q["text"], statistics, kind).items(), key=lambda p: (-p[1], [-ord(c) for c in corpus[p[0]]["_id"]]))[:10]
        dcg = sum((2 ** rel.get(corpus[d]["_id"], 0) - 1) / math.log2(r + 2) for r, (d, _) in enumerate(ranked))
        idcg = sum((2 ** g - 1) / math.log2(r + 2) for r, g in enumerate(sorted(rel.values(), reverse=True)[:10]))
        total += dcg / idcg if idcg else 0
    return 100 * total / len(judged)


def beir(path, prefix=""):
    corpus = [json.loads(l) for l in open(os.path.join(path, "corpus.jsonl"), encoding="utf-8")]
    queries = [json.loads(l) for l in open(os.path.join(path, "queries.jsonl"), encoding="utf-8")]
    qrels = collections.defaultdict(dict)
    for line in list(open(os.path.join(path, "qrels", "test.tsv"), encoding="utf-8"))[1:]:
        q, d, s = line.rstrip("\n").split("\t")
        qrels[prefix + q][prefix + d] = int(s)
    for row in corpus + queries:
        row["_id"] = prefix + row["_id"]
    return corpus, queries, qrels


def task(name):
    """(corpus, queries, qrels, each passage's true language, the task's language or None)."""
    if name == "sample":
        c, q, r = beir(os.path.join(ROOT, "samples", "data", "eval", "retrieval"))
        return c, q, r, [d["_id"][:2] for d in c], "nb"
    if name == "xquad-mix":
        parts = [(l, beir(os.path.join(SHARED, "retrieval", f"xquad-{l}"), f"{l}-")) for l in ("da", "nb", "sv")]
        return ([d for _, p in parts for d in p[0]], [x for _, p in parts for x in p[1]],
                {k: v for _, p in parts for k, v in p[2].items()}, [l for l, p in parts for _ in p[0]], None)
    c, q, r = beir(os.path.join(SHARED, "retrieval", name))
    language = name.rsplit("-", 1)[1]
    return c, q, r, [language] * len(c), language


def compare(name):
    c, q, r, truth, language = task(name)
    print(name, "none %.1f" % ndcg10(c, q, r, index(c, [None] * len(c))), flush=True)
    if language:
        print(name, language, "%.1f" % ndcg10(c, q, r, index(c, [ALGORITHM[language]] * len(c))), flush=True)
    for label, guesser, plan in [("old guesser", guess_old, ["mix"]), ("new guesser", guess, ["mix", "lucene", "blend"]),
                                 ("true languages", None, ["lucene", "blend"])]:
        languages = truth if guesser is None else [guesser(full(d)) for d in c]
        ix = index(c, [ALGORITHM.get(l) if l else None for l in languages])
        for statistics in plan:
            print(name, "auto", label, statistics, "%.1f" % ndcg10(c, q, r, ix, statistics), flush=True)


def confusion():
    sets = {}
    c, q, _, truth, _ = task("sample")
    sets["sample passages"] = [(t, full(d)) for t, d in zip(truth, c)]
    sets["sample queries"] = [(x["_id"][2:4], x["text"]) for x in q]
    sets["SIB-200"] = [(l, json.loads(x)["text"]) for l in ("da", "nb", "nn", "sv") for s in ("train", "test")
                       for x in open(os.path.join(SHARED, "classification", f"sib200-{l}", f"{s}.jsonl"), encoding="utf-8")]
    sets["UD"] = [(l, x.strip()) for l in ("da", "nb", "nn", "sv")
                  for x in open(os.path.join(SHARED, "text", f"ud-{l}.txt"), encoding="utf-8") if x.strip()]
    sets["XQuAD passages"] = [(l, full(d)) for l in ("da", "nb", "sv") for d in task(f"xquad-{l}")[0]]
    sets["NorQuAD passages"] = [("nb", full(d)) for d in task("norquad-val-nb")[0]]
    for name, rows in sets.items():
        print_confusion(name, rows, (("old", guess_old), ("before the Swedish cues", lambda x: guess(x, swedish=False)), ("new", guess)))


def print_confusion(name, rows, guessers):
    columns = ["da", "nb", "nn", "sv", "en", "und"]
    for label, g in guessers:
        m = collections.Counter((t, g(x) or "und") for t, x in rows)
        print(f"{name} ({label}): accuracy {sum(m[(t, t)] for t in columns) / len(rows):.3f} of {len(rows)}; rows true, columns", " ".join(columns))
        for t in sorted({t for t, _ in rows}):
            print(f"  {t}", " ".join(f"{m[(t, c)]:>5}" for c in columns))


def confusion_split():
    """Before and after the Swedish cues (2026-12-07, session 54) on the rows they were not tuned on: UD sentences at odd
    line numbers (0-based) and SIB-200 test; the cues were chosen on the TUNE rows, UD's even lines and SIB-200 train."""
    for part in ("tune", "held-out"):
        ud = [(l, x.strip()) for l in ("da", "nb", "nn", "sv")
              for i, x in enumerate(open(os.path.join(SHARED, "text", f"ud-{l}.txt"), encoding="utf-8"))
              if x.strip() and i % 2 == (0 if part == "tune" else 1)]
        sib = [(l, json.loads(x)["text"]) for l in ("da", "nb", "nn", "sv")
               for x in open(os.path.join(SHARED, "classification", f"sib200-{l}", ("train" if part == "tune" else "test") + ".jsonl"), encoding="utf-8")]
        for name, rows in ((f"UD {part}", ud), (f"UD {part}, at most 10 words", [r for r in ud if len(r[1].split()) <= 10]),
                           (f"SIB-200 {part}", sib)):
            print_confusion(name, rows, (("before", lambda x: guess(x, swedish=False)), ("after", guess)))


if __name__ == "__main__":
    if sys.argv[1:] == ["--guesser"]:
        confusion()
    elif sys.argv[1:] == ["--guesser-split"]:
        confusion_split()
    else:
        for name in sys.argv[1].split(","):
            compare(name)
