"""How dense search scales past one act: synthetic 384-d indexes of 10k, 100k and 1M unit vectors.

    python -m bench.scale            # 10k, 100k, 1M (about 3-4 minutes on 2 cores)
    python -m bench.scale --quick    # 10k and 100k
    python -m bench.scale --product  # the product's own path (store, Retriever, Pipeline) at 10k/100k/1M
                                     # clauses -> bench/results_scale.json (bench/product_scale.py)

Exact search is the product's path: assistant/store.py builds `faiss.IndexFlatIP` over unit passage
vectors, and the retriever scores every row with `vectors @ query` (fusion needs all scores), which
is the same memory-bound scan. The approximate index is IVF-Flat (inner product):
  - it builds in seconds on 2 cores (k-means on a sample + one assignment pass), where HNSW
    (M=32) measured about 50 s per 100k random vectors here, i.e. ~10 minutes at 1M;
  - it keeps the full vectors, so scores in the probed lists are exact inner products, and the
    recall/speed trade-off is `nprobe`, set at query time without rebuilding;
  - memory stays ~ that of the flat index (4·d bytes a vector + 8 bytes of id).
HNSW is measured too at sizes where its build fits the time budget (up to 100k).

Two kinds of data, because the answer depends on it:
  - "uniform": random unit vectors. Nothing is near anything, so no approximate index can find
    the top 10 without scanning most of the data: the worst case, reported as such.
  - "anisotropic": Gaussian vectors whose variance falls off as 1/i along random directions i
    (a Zipf-like spectrum, as text embeddings concentrate in few directions), normalized. Near
    neighbours exist (top-1 cosine ~0.5) without discrete clusters that could line up with IVF
    lists by accident. nprobe / efSearch are the smallest reaching recall@10 >= 0.95.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import faiss
import numpy as np

from .timing import time_each

DIM = 384
K = 10
SIZES = (10_000, 100_000, 1_000_000)
KINDS = ("anisotropic", "uniform")
RECALL_TARGET = 0.95
NPROBES = (1, 2, 4, 8, 16, 32, 64, 128)
HNSW_MAX_SIZE = 100_000  # above this its build does not fit the time budget on 2 cores
HNSW_M, HNSW_EF_CONSTRUCTION, HNSW_EF_SEARCH = 32, 40, (16, 32, 64, 128)


@dataclass(frozen=True)
class IndexResult:
    """One index at one size: build time, single-query latency, memory and recall against exact search."""

    size: int
    data: str  # "anisotropic" | "uniform"
    index: str  # "flat (faiss)", "matmul (retriever)", "ivf-flat", "hnsw"
    params: str  # e.g. "nlist=1000 nprobe=16"
    build_seconds: float
    query_p50_ms: float
    query_p95_ms: float
    index_mb: float  # bytes the index holds (serialized size)
    rss_delta_mb: float  # growth of this process's resident memory while building
    recall_at_10: float  # 1.0 for exact search


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to length 1, in place (float32)."""
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors


def synthetic(count: int, kind: str, rng: np.random.Generator, basis: np.ndarray | None = None, dim: int = DIM) -> np.ndarray:
    """`count` unit float32 vectors: uniform on the sphere, or anisotropic along the rows of `basis`."""
    vectors = rng.standard_normal((count, dim), dtype=np.float32)
    if kind == "anisotropic":
        if basis is None:
            raise ValueError("anisotropic data needs a basis")
        vectors *= np.arange(1, dim + 1, dtype=np.float32) ** -0.5  # variance 1/i along direction i
        vectors = vectors @ basis
    elif kind != "uniform":
        raise ValueError(f"unknown kind {kind!r}")
    return unit_rows(vectors)


def random_basis(rng: np.random.Generator, dim: int = DIM) -> np.ndarray:
    """A random orthonormal basis (rows), so the spectrum is not aligned with the coordinate axes."""
    return np.linalg.qr(rng.standard_normal((dim, dim)))[0].astype(np.float32)


def rss_mb() -> float:
    """This process's current resident memory in MiB (from /proc; peak RSS where /proc is missing)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def index_mb(index: faiss.Index) -> float:
    return faiss.serialize_index(index).nbytes / 2**20


def single_query_ms(search, queries: np.ndarray) -> tuple[float, float]:
    """p50 and p95 of one-query-at-a-time search latency (ms), after two warm-up queries."""
    timing = time_each(search, queries, warmup=queries[:2])
    return timing.p50, timing.p95


def recall(truth: np.ndarray, found: np.ndarray) -> float:
    """Mean share of the true top-k ids found in the approximate top-k."""
    return float(np.mean([len(set(t) & set(f)) / len(t) for t, f in zip(truth, found)]))


def bench_size(size: int, kind: str, queries_count: int, rng: np.random.Generator, hnsw: bool) -> list[IndexResult]:
    """Exact and approximate search over `size` synthetic vectors of one kind."""
    basis = random_basis(rng) if kind == "anisotropic" else None
    vectors = synthetic(size, kind, rng, basis)
    queries = synthetic(queries_count, kind, rng, basis)
    results = []

    # exact, as assistant/store.py builds it
    before = rss_mb()
    start = time.perf_counter()
    flat = faiss.IndexFlatIP(DIM)
    flat.add(vectors)
    build = time.perf_counter() - start
    delta = rss_mb() - before
    p50, p95 = single_query_ms(lambda q: flat.search(q[None, :], K), queries)
    truth = flat.search(queries, K)[1]
    flat_mb = flat.ntotal * flat.d * 4 / 2**20
    results.append(IndexResult(size, kind, "flat (faiss)", "IndexFlatIP", build, p50, p95, flat_mb, delta, 1.0))

    def scan(query: np.ndarray) -> np.ndarray:
        # what Retriever.signals does: every row's cosine, then the best K
        scores = vectors @ query
        best = np.argpartition(-scores, K)[:K]
        return best[np.argsort(-scores[best])]

    p50, p95 = single_query_ms(scan, queries)
    results.append(IndexResult(size, kind, "matmul (retriever)", "vectors @ q", 0.0, p50, p95, vectors.nbytes / 2**20, 0.0, 1.0))

    # approximate: IVF-Flat, nlist ~ sqrt(N) (k-means cost grows with nlist; lists stay ~sqrt(N) long)
    nlist = max(16, round(np.sqrt(size)))
    before = rss_mb()
    start = time.perf_counter()
    ivf = faiss.IndexIVFFlat(faiss.IndexFlatIP(DIM), DIM, nlist, faiss.METRIC_INNER_PRODUCT)
    ivf.cp.niter = 10  # 10 k-means rounds: centroids barely move after that; keeps 1M within budget
    ivf.train(vectors[rng.choice(size, min(size, 40 * nlist), replace=False)])
    ivf.add(vectors)
    build = time.perf_counter() - start
    delta = rss_mb() - before
    sweep = {}
    for nprobe in NPROBES:
        if nprobe > nlist:
            break
        ivf.nprobe = nprobe
        sweep[nprobe] = recall(truth, ivf.search(queries, K)[1])
        if sweep[nprobe] >= RECALL_TARGET:
            break
    ivf.nprobe = next((n for n, r in sweep.items() if r >= RECALL_TARGET), max(sweep))
    p50, p95 = single_query_ms(lambda q: ivf.search(q[None, :], K), queries)
    curve = " ".join(f"{n}:{r:.2f}" for n, r in sweep.items())
    results.append(
        IndexResult(
            size, kind, "ivf-flat", f"nlist={nlist} nprobe={ivf.nprobe} (recall by nprobe {curve})",
            build, p50, p95, index_mb(ivf), delta, sweep[ivf.nprobe],
        )
    )

    if hnsw:
        before = rss_mb()
        start = time.perf_counter()
        graph = faiss.IndexHNSWFlat(DIM, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        graph.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        graph.add(vectors)
        build = time.perf_counter() - start
        delta = rss_mb() - before
        sweep = {}
        for ef in HNSW_EF_SEARCH:
            graph.hnsw.efSearch = ef
            sweep[ef] = recall(truth, graph.search(queries, K)[1])
            if sweep[ef] >= RECALL_TARGET:
                break
        graph.hnsw.efSearch = next((e for e, r in sweep.items() if r >= RECALL_TARGET), max(sweep))
        p50, p95 = single_query_ms(lambda q: graph.search(q[None, :], K), queries)
        curve = " ".join(f"{e}:{r:.2f}" for e, r in sweep.items())
        results.append(
            IndexResult(
                size, kind, "hnsw",
                f"M={HNSW_M} efC={HNSW_EF_CONSTRUCTION} efSearch={graph.hnsw.efSearch} (recall by efSearch {curve})",
                build, p50, p95, index_mb(graph), delta, sweep[graph.hnsw.efSearch],
            )
        )
    return results


def run_scale(sizes=SIZES, kinds=KINDS, queries_count: int | None = None, hnsw_max: int = HNSW_MAX_SIZE, seed: int = 0) -> list[IndexResult]:
    """Every size × kind; fewer queries at 1M, where one exact query scans 1.5 GB."""
    rng = np.random.default_rng(seed)
    results = []
    for size in sizes:
        count = queries_count or (200 if size <= 100_000 else 50)
        for kind in kinds:
            results.extend(bench_size(size, kind, count, rng, hnsw=size <= hnsw_max))
    return results


def format_table(results: list[IndexResult]) -> str:
    """The results as a fixed-width table."""
    lines = [
        f"{'size':>9} {'data':<11} {'index':<19} {'build s':>8} {'p50 ms':>8} {'p95 ms':>8} {'index MB':>9} {'RSS+ MB':>8} {'recall@10':>9}  params",
    ]
    for r in results:
        lines.append(
            f"{r.size:>9,} {r.data:<11} {r.index:<19} {r.build_seconds:>8.2f} {r.query_p50_ms:>8.3f} {r.query_p95_ms:>8.3f} "
            f"{r.index_mb:>9.1f} {r.rss_delta_mb:>8.1f} {r.recall_at_10:>9.3f}  {r.params}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if "--product" in argv:
        from .product_scale import main as product_main

        return product_main([a for a in argv if a != "--product"])
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__.splitlines()[0])
    parser.add_argument("--product", action="store_true", help="the product's path instead (bench/product_scale.py; its options follow)")
    parser.add_argument("--quick", action="store_true", help="10k and 100k only")
    parser.add_argument("--sizes", type=lambda s: tuple(int(x) for x in s.split(",")), help="comma-separated sizes")
    parser.add_argument("--output", type=Path, default=Path(__file__).with_name("scale.json"), help="JSON results")
    args = parser.parse_args(argv)
    sizes = args.sizes or (SIZES[:2] if args.quick else SIZES)
    started = time.perf_counter()
    results = run_scale(sizes)
    print(format_table(results))
    print(f"\nscale section: {time.perf_counter() - started:.0f} s, faiss {faiss.__version__}, {faiss.omp_get_max_threads()} threads")
    payload = {"faiss": faiss.__version__, "threads": faiss.omp_get_max_threads(), "cpus": os.cpu_count(), "results": [asdict(r) for r in results]}
    args.output.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
