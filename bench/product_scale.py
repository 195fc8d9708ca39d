"""The product's own question path at scale: store -> Retriever -> Pipeline over 10k / 100k / 1M synthetic clauses.

    python -m bench.product_scale                  # 10k, 100k, 1M clauses (each size in its own process)
    python -m bench.product_scale --sizes 10000    # one size
    python -m bench.scale --product                # the same, from the scale benchmark

Each size is a bilingual act of `size` clause ids, each in Russian and Kazakh (2 × size passages):
points of the regulation (`regulation.pN`), about 40% with a list of subpoints (`regulation.pN.sM`),
so families, lead-ins and granularity work as in the real act. Texts recombine word windows of the
real act's clauses (the same relative window in both languages), so BM25's vocabulary, document
frequencies and lengths are the act's. Vectors come from a fake encoder: anisotropic unit vectors as
in bench/scale.py (the bundled e5 cannot embed 2M passages in the time), one per text, seeded by it.

Measured per size, through `build_index` into a tmp dir, `load_index`, `Retriever`, `Pipeline`:
index build, load, Retriever construction (analyzing the clauses, then again reading the analysis
kept beside the index, as every later process does), `Pipeline.run` p50/p95 on questions in both languages
(bench/questions.py: the act's words), with the store's index and with the other kind (flat vs
IVF-Flat, same vectors, same Retriever), peak and steady RSS, and recall of IVF-Flat's candidates
against exact search (recall@10 by nprobe).
"""
from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import faiss
import numpy as np

from assistant.assistant import make_retriever
from assistant.clause import Clause
from assistant.corpus import load_act
from assistant.dense import DenseIndex, build_faiss
from assistant.params import PARAMS_FILE, RetrievalParams
from assistant.pipeline import Pipeline
from assistant.retrieval import passage_text
from assistant.settings import Settings
from assistant.store import EXACT_ALWAYS, build_index, load_index

from .questions import questions
from .scale import DIM, random_basis, synthetic
from .timing import time_each

SIZES = (10_000, 100_000, 1_000_000)
NPROBES = (8, 16, 32, 64, 128)
SUBPOINT_SHARE = 0.4  # points that hold a list of subpoints (the act: 5 of 20)
RESULTS_FILE = Path(__file__).with_name("results_scale.json")


class FakeEncoder:
    """Anisotropic unit vectors (bench/scale.py's spectrum), one per text, seeded by the text: no model."""

    name = "bench-anisotropic"
    dim = DIM

    def __init__(self, seed: int = 0):
        self.basis = random_basis(np.random.default_rng(seed))
        self.scale = np.arange(1, DIM + 1, dtype=np.float32) ** -0.5

    def _vectors(self, texts) -> np.ndarray:
        seed = int.from_bytes(hashlib.blake2b("\x00".join(texts).encode(), digest_size=8).digest(), "little")
        raw = np.random.default_rng(seed).standard_normal((len(texts), DIM), dtype=np.float32) * self.scale
        vectors = raw @ self.basis
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)

    def encode_passages(self, texts) -> np.ndarray:
        return self._vectors(list(texts))

    def encode_queries(self, texts) -> np.ndarray:
        return np.stack([self._vectors([t])[0] for t in texts])


def _pairs(act, level: str) -> list[tuple[list[str], list[str]]]:
    """The act's clauses of one level as (Russian words, Kazakh words), paired by id."""
    kk = {c.id: c for c in act.clauses("kk")}
    return [(c.text.split(), kk[c.id].text.split()) for c in act.clauses("ru") if c.level == level and c.id in kk]


def _window(pair, rng: np.random.Generator) -> tuple[str, str]:
    """The same relative stretch of words of both languages of one clause (at least half of it)."""
    start, length = rng.uniform(0, 0.5), rng.uniform(0.5, 1.0)
    cut = lambda words: " ".join(words[int(start * len(words)) : max(int(start * len(words)) + 1, int((start + length) * len(words)))])
    return cut(pair[0]), cut(pair[1])


def synthetic_clauses(size: int, seed: int = 0) -> list[Clause]:
    """`size` clause ids of a made-up regulation, each in ru and kk (language by language, as `Act.all_clauses`)."""
    act = load_act()
    points, subpoints = _pairs(act, "point"), _pairs(act, "subpoint")
    lead_ins = list({(c.lead_in, kk.lead_in) for c, kk in zip(act.clauses("ru"), act.clauses("kk")) if c.lead_in and kk.lead_in})
    rng = np.random.default_rng(seed)
    out: dict[str, list[Clause]] = {"ru": [], "kk": []}
    count, number = 0, 0
    while count < size:
        number += 1
        chapter = 1 + number // 25
        room = size - count
        subs = int(rng.integers(2, 7)) if room > 2 and rng.random() < SUBPOINT_SHARE else 0
        subs = min(subs, room - 1)
        if subs:
            lead = lead_ins[rng.integers(len(lead_ins))]
            items = [_window(subpoints[rng.integers(len(subpoints))], rng) for _ in range(subs)]
            for li, lang in enumerate(("ru", "kk")):
                body = "\n".join(f"{i}) {item[li]}" for i, item in enumerate(items, start=1))
                out[lang].append(Clause("regulation", number, lang, f"{lead[li]}\n{body}", chapter=chapter))
                out[lang].extend(
                    Clause("regulation", number, lang, item[li], subpoint=i, list=1, chapter=chapter, lead_in=lead[li])
                    for i, item in enumerate(items, start=1)
                )
            count += 1 + subs
        else:
            parts = [_window(points[rng.integers(len(points))], rng) for _ in range(int(rng.integers(1, 3)))]
            for li, lang in enumerate(("ru", "kk")):
                out[lang].append(Clause("regulation", number, lang, " ".join(p[li] for p in parts), chapter=chapter))
            count += 1
    return out["ru"] + out["kk"]


def rss_mb(peak: bool = False) -> float:
    """Resident memory of this process (VmRSS, or VmHWM for the peak) in MiB."""
    key = "VmHWM:" if peak else "VmRSS:"
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key):
            return int(line.split()[1]) / 1024.0
    return 0.0


def exact_top(index: faiss.Index, queries: np.ndarray, k: int, chunk: int = 200_000) -> np.ndarray:
    """Exact top-k rows of `queries` over the index's stored vectors, a chunk at a time (no second copy)."""
    if isinstance(index, faiss.IndexIVF):
        index.make_direct_map()
    n = index.ntotal
    best_s = np.full((len(queries), k), -np.inf, dtype=np.float32)
    best_r = np.zeros((len(queries), k), dtype=np.int64)
    for start in range(0, n, chunk):
        block = index.reconstruct_n(start, min(chunk, n - start))
        scores = queries @ block.T
        top = np.argpartition(-scores, min(k, scores.shape[1] - 1), axis=1)[:, :k]
        s = np.concatenate([best_s, np.take_along_axis(scores, top, axis=1)], axis=1)
        r = np.concatenate([best_r, top + start], axis=1)
        keep = np.argsort(-s, axis=1)[:, :k]
        best_s, best_r = np.take_along_axis(s, keep, axis=1), np.take_along_axis(r, keep, axis=1)
    return best_r


def flat_copy(index: faiss.Index, chunk: int = 200_000) -> faiss.Index:
    """The index's vectors in an exact IndexFlatIP (as `build_faiss` builds below `ivf_min_vectors`), added by chunks."""
    flat = faiss.IndexFlatIP(index.d)
    for start in range(0, index.ntotal, chunk):
        flat.add(index.reconstruct_n(start, min(chunk, index.ntotal - start)))
    return flat


def ivf_copy(index: faiss.Index) -> faiss.Index:
    vectors = index.reconstruct_n(0, index.ntotal)
    ivf = build_faiss(vectors, 0)
    del vectors
    return ivf


@dataclass
class SizeResult:
    """One synthetic act through the product's path."""

    clauses: int  # clause ids (each in ru and kk)
    vectors: int  # FAISS rows: 2 × clauses
    store_index: str  # what the store built: "flat" | "ivf-flat (lists=L)"
    generate_s: float  # making the synthetic clauses (not part of the product)
    build_s: float  # build_index: passages -> fake vectors -> FAISS -> files, atomically
    load_s: float  # load_index: read, checksum, parse, deserialize
    retriever_s: float  # Retriever construction: BM25 ×3 fields ×2 languages, families, vocabulary
    index_mb: float  # clauses.faiss + clauses.jsonl on disk
    rss_mb: float  # resident memory with the Pipeline ready
    peak_rss_mb: float  # VmHWM of the process (build and load included)
    queries: int
    run_ms: dict = field(default_factory=dict)  # "flat" / "ivf-flat" -> {"p50", "p95"} of Pipeline.run
    dense_ms: dict = field(default_factory=dict)  # "flat" / "ivf-flat" -> p50 of DenseIndex.search(k=candidates)
    nprobe: int = 0  # Settings.ivf_nprobe used for the ivf-flat rows
    # nprobe -> share of the exact top 10 in IVF's top 10. The same share is in IVF's `search_candidates`
    # (its top 200 only adds rows from the same probed lists), so this is the candidates' recall too.
    recall_at_10: dict = field(default_factory=dict)
    retriever_kept_s: float = 0.0  # Retriever construction when the analysis kept with the index is read


def bench_size(size: int, settings: Settings, queries_count: int, workdir: Path, seed: int = 0) -> SizeResult:
    """Build, load and query one synthetic act of `size` clause ids through the store, Retriever and Pipeline."""
    act, encoder = load_act(), FakeEncoder(seed)
    params = RetrievalParams.load(PARAMS_FILE)
    start = time.perf_counter()
    clauses = synthetic_clauses(size, seed)
    generate = time.perf_counter() - start

    start = time.perf_counter()
    passages = [passage_text(c, act.citation_style) for c in clauses]
    build_index(clauses, passages, encoder, f"synthetic-{size}", workdir, progress=False, ivf_min_vectors=settings.ivf_min_vectors)
    build = time.perf_counter() - start
    del clauses, passages
    gc.collect()
    current = workdir / os.readlink(workdir / "current")
    disk = sum(f.stat().st_size for f in current.iterdir() if f.suffix in (".faiss", ".jsonl")) / 2**20

    start = time.perf_counter()
    loaded = load_index(workdir, encoder.name, f"synthetic-{size}")
    load = time.perf_counter() - start
    kept_in = settings.but(index_dir=workdir)  # where the analysis of the clauses is kept beside the version
    start = time.perf_counter()
    retriever = make_retriever(act, loaded, encoder, kept_in)  # analyzes, and keeps the analysis
    construct = time.perf_counter() - start
    del retriever
    gc.collect()
    start = time.perf_counter()
    retriever = make_retriever(act, loaded, encoder, kept_in)  # as every later process: reads it
    construct_kept = time.perf_counter() - start
    pipeline = Pipeline(retriever, params)
    stored = loaded.index
    del loaded
    gc.collect()
    rss = rss_mb()

    texts = questions(queries_count + 4, offset=0)
    inputs = [(t, "ru" if i % 2 == 0 else "kk") for i, t in enumerate(texts)]
    warmup, inputs = inputs[:4], inputs[4:]
    query_vectors = np.stack([encoder.encode_queries([t])[0] for t, _ in inputs]).astype(np.float32)

    is_ivf = isinstance(stored, faiss.IndexIVF)
    kinds = {("ivf-flat" if is_ivf else "flat"): stored}
    result = SizeResult(
        size, stored.ntotal, f"ivf-flat (lists={stored.nlist})" if is_ivf else "flat", generate, build, load, construct,
        disk, rss, 0.0, len(inputs), nprobe=settings.ivf_nprobe, retriever_kept_s=construct_kept,
    )
    kinds["flat" if is_ivf else "ivf-flat"] = None  # the other kind, built from the same vectors when measured
    for kind in ("flat", "ivf-flat"):
        index = kinds[kind] if kinds[kind] is not None else (flat_copy(stored) if kind == "flat" else ivf_copy(stored))
        retriever.dense = DenseIndex(index, settings.ivf_nprobe)  # same clauses and BM25, the other FAISS index
        retriever.cache = type(retriever.cache)(retriever.cache.size)  # every question pays its (fake) encoder call
        timing = time_each(lambda item: pipeline.run(*item), inputs, warmup=warmup)
        result.run_ms[kind] = {"p50": timing.p50, "p95": timing.p95}
        result.dense_ms[kind] = time_each(lambda q: retriever.dense.search(q, settings.search_candidates), query_vectors).p50
        if kind == "ivf-flat":
            truth = exact_top(index, query_vectors, 10)
            for nprobe in NPROBES:
                index.nprobe = nprobe
                near = index.search(query_vectors, 10)[1]
                result.recall_at_10[nprobe] = float(np.mean([len(set(t) & set(f)) / 10 for t, f in zip(truth, near)]))
            index.nprobe = settings.ivf_nprobe
        if index is not stored:
            retriever.dense = None
            del index
            gc.collect()
    result.peak_rss_mb = rss_mb(peak=True)
    return result


def run_product_scale(sizes=SIZES, settings: Settings | None = None, queries_count: int | None = None, isolate: bool = True) -> list[SizeResult]:
    """Every size, each in its own process when `isolate` (so peak RSS is that size's own)."""
    settings = settings or Settings()
    results = []
    for size in sizes:
        count = queries_count or (200 if size <= 100_000 else 60)
        if not isolate:
            with tempfile.TemporaryDirectory(prefix="zanger-scale-") as tmp:
                results.append(bench_size(size, settings, count, Path(tmp)))
            continue
        with tempfile.TemporaryDirectory(prefix="zanger-scale-") as tmp:
            out = Path(tmp) / "one.json"
            command = [sys.executable, "-m", "bench.product_scale", "--one", str(size), "--queries", str(count),
                       "--ivf-min-vectors", str(settings.ivf_min_vectors), "--nprobe", str(settings.ivf_nprobe), "--output", str(out)]
            subprocess.run(command, check=True, cwd=Path(__file__).resolve().parents[1])
            results.append(SizeResult(**json.loads(out.read_text(encoding="utf-8"))))
    return results


def format_table(results: list[SizeResult]) -> str:
    """Per size: build, Pipeline.run latency with each FAISS kind, memory, IVF recall."""
    lines = [
        f"{'clauses':>9} {'vectors':>9} {'store index':<20} {'build s':>8} {'load s':>7} {'retr. s':>8} {'kept s':>7} "
        f"{'flat p50/p95 ms':>16} {'ivf p50/p95 ms':>16} {'dense flat/ivf':>15} {'RSS MB':>8} {'peak MB':>8} {'disk MB':>8}  IVF recall@10 by nprobe",
    ]
    for r in results:
        run = {k: f"{v['p50']:.1f}/{v['p95']:.1f}" for k, v in r.run_ms.items()}
        dense = f"{r.dense_ms.get('flat', 0):.2f}/{r.dense_ms.get('ivf-flat', 0):.2f}"
        recall = " ".join(f"{n}:{v:.2f}" for n, v in r.recall_at_10.items())
        lines.append(
            f"{r.clauses:>9,} {r.vectors:>9,} {r.store_index:<20} {r.build_s:>8.1f} {r.load_s:>7.1f} {r.retriever_s:>8.1f} {r.retriever_kept_s:>7.1f} "
            f"{run.get('flat', '-'):>16} {run.get('ivf-flat', '-'):>16} {dense:>15} {r.rss_mb:>8.0f} {r.peak_rss_mb:>8.0f} {r.index_mb:>8.0f}  {recall}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.product_scale", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=lambda s: tuple(int(x) for x in s.split(",")), default=SIZES, help="clause counts")
    parser.add_argument("--queries", type=int, help="questions per size (default 200, 60 at 1M)")
    parser.add_argument("--ivf-min-vectors", type=int, default=Settings().ivf_min_vectors)
    parser.add_argument("--nprobe", type=int, default=Settings().ivf_nprobe)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # a single size, in this process (the parent's child)
    parser.add_argument("--output", type=Path, default=RESULTS_FILE, help=f"JSON results (default {RESULTS_FILE})")
    args = parser.parse_args(argv)
    settings = Settings().but(ivf_min_vectors=args.ivf_min_vectors, ivf_nprobe=args.nprobe)
    if args.one:
        with tempfile.TemporaryDirectory(prefix="zanger-scale-") as tmp:
            result = bench_size(args.one, settings, args.queries or 200, Path(tmp))
        args.output.write_text(json.dumps(asdict(result)), encoding="utf-8")
        return 0
    started, load_before = time.perf_counter(), os.getloadavg()
    results = run_product_scale(args.sizes, settings, args.queries)
    print(format_table(results))
    print(f"\nproduct scale: {time.perf_counter() - started:.0f} s, ivf_min_vectors={settings.ivf_min_vectors}, "
          f"nprobe={settings.ivf_nprobe}, candidates={settings.search_candidates}, faiss {faiss.__version__}")
    load_after = os.getloadavg()
    print(f"load average (1/5/15 min) before {'/'.join(f'{x:.2f}' for x in load_before)}, after {'/'.join(f'{x:.2f}' for x in load_after)}")
    payload = {"faiss": faiss.__version__, "cpus": os.cpu_count(), "load_average": {"before": load_before, "after": load_after}, "settings": {
        "ivf_min_vectors": settings.ivf_min_vectors, "ivf_nprobe": settings.ivf_nprobe, "search_candidates": settings.search_candidates},
        "results": [asdict(r) for r in results]}
    args.output.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
