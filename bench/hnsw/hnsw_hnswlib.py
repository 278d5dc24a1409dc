"""HNSW peer: hnswlib (Debian's python3-hnswlib) on the corpus bench/hnsw/Program.cs wrote; the same JSON lines."""
import json, os, sys, time
import numpy as np
import hnswlib

args = dict(zip(sys.argv[1::2], sys.argv[2::2]))
data = args["--data"]
m, efc = int(args.get("--m", 16)), int(args.get("--ef-construction", 200))
shape = json.load(open(os.path.join(data, "shape.json")))
rows, dim, nq, k = shape["rows"], shape["dim"], shape["queries"], shape["k"]
corpus = np.fromfile(os.path.join(data, "corpus.f32"), dtype=np.float32).reshape(rows, dim)
queries = np.fromfile(os.path.join(data, "queries.f32"), dtype=np.float32).reshape(nq, dim)
truth = np.fromfile(os.path.join(data, "truth.i32"), dtype=np.int32).reshape(nq, k)
threads = os.cpu_count()
index = hnswlib.Index(space="ip", dim=dim)
index.init_index(max_elements=rows, M=m, ef_construction=efc, random_seed=100)
t0 = time.perf_counter()
index.add_items(corpus, np.arange(rows), num_threads=threads)
build_s = time.perf_counter() - t0
load = open("/proc/loadavg").read().split()[0]
for ef in (16, 32, 64, 128, 256):
    index.set_ef(ef)
    for i in range(20):
        index.knn_query(queries[i % nq:i % nq + 1], k=k, num_threads=1)
    times, recall = [], 0.0
    for i in range(nq):
        t = time.perf_counter()
        labels, _ = index.knn_query(queries[i:i + 1], k=k, num_threads=1)
        times.append((time.perf_counter() - t) * 1e3)
        recall += len(set(labels[0].tolist()) & set(truth[i].tolist())) / k / nq
    times.sort()
    print(json.dumps({"engine": "hnswlib", "rows": rows, "dim": dim, "m": m, "ef_construction": efc, "ef": ef,
                      "build_s": build_s, "query_ms": times[nq // 2], "recall_at_k": recall, "threads": threads,
                      "load": load}), flush=True)
