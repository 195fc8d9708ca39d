"""The benchmark's code in a tiny mode, so it keeps working; no timing is asserted (targets live in its printed table)."""
import json
import sys
from pathlib import Path

import numpy as np
import pytest

# bench/ is a folder of scripts beside the package, not installed: import it from the checkout.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import load, product_scale, questions, run, scale, server, timing


def test_questions_are_distinct_and_alternate_russian_and_kazakh():
    pool = questions.questions(questions.pool_size())
    assert len(set(pool)) == len(pool) == 960
    assert all(q.endswith("?") and not q[0].islower() for q in pool)
    kazakh = set("әғқңөұүһі")
    assert not set(pool[0].lower()) & kazakh and set(pool[1].lower()) & kazakh
    assert questions.questions(3, 10) == pool[10:13]
    with pytest.raises(ValueError):
        questions.questions(2, 959)


def test_plan_slices_never_share_a_question():
    slices = run.Plan().slices()
    everything = [q for texts in slices.values() for q in texts]
    assert len(everything) == len(set(everything))
    assert len(slices["latency"]) == len(slices["c1"]) == len(slices["c16"]) == 200


def test_summarize_percentiles():
    t = timing.summarize([1.0, 2.0, 3.0, 4.0])
    assert (t.count, t.p50, t.mean) == (4, 2.5, 2.5)
    assert timing.summarize([]).count == 0


def test_synthetic_vectors_are_unit_rows():
    rng = np.random.default_rng(0)
    for kind in scale.KINDS:
        basis = scale.random_basis(rng) if kind == "anisotropic" else None
        vectors = scale.synthetic(50, kind, rng, basis)
        assert vectors.shape == (50, scale.DIM) and vectors.dtype == np.float32
        assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_scale_section_on_a_tiny_index():
    results = scale.run_scale(sizes=(1000,), queries_count=5, hnsw_max=1000)
    assert {(r.data, r.index) for r in results} == {
        (kind, index) for kind in scale.KINDS for index in ("flat (faiss)", "matmul (retriever)", "ivf-flat", "hnsw")
    }
    for r in results:
        assert r.size == 1000 and r.query_p50_ms > 0 and 0.0 <= r.recall_at_10 <= 1.0
        if r.index.startswith(("flat", "matmul")):
            assert r.recall_at_10 == 1.0
    assert "recall@10" in scale.format_table(results)


def test_synthetic_act_is_bilingual_with_point_families():
    clauses = product_scale.synthetic_clauses(300)
    ru, kk = [c for c in clauses if c.lang == "ru"], [c for c in clauses if c.lang == "kk"]
    assert len(ru) == len(kk) == 300 and [c.id for c in ru] == [c.id for c in kk]
    assert len({c.id for c in ru}) == 300
    assert {c.level for c in ru} == {"point", "subpoint"}
    sub = next(c for c in ru if c.level == "subpoint")
    assert sub.id == f"regulation.p{sub.point}.s{sub.subpoint}" and sub.lead_in
    assert all(c.text.strip() for c in clauses)
    assert set("әғқңөұүһі") & set("".join(c.text for c in kk).lower())


def test_product_scale_on_a_tiny_act(tmp_path):
    """2k clauses through build_index, load_index, Retriever and Pipeline, the store building IVF-Flat."""
    from assistant.settings import Settings

    settings = Settings().but(ivf_min_vectors=1000, ivf_nprobe=8)
    (result,) = product_scale.run_product_scale((2000,), settings, queries_count=6, isolate=False)
    assert (result.clauses, result.vectors, result.queries) == (2000, 4000, 6)
    assert result.store_index.startswith("ivf-flat") and result.nprobe == 8
    assert set(result.run_ms) == set(result.dense_ms) == {"flat", "ivf-flat"}
    assert all(v["p95"] >= v["p50"] > 0 for v in result.run_ms.values())
    assert set(result.recall_at_10) == set(product_scale.NPROBES)
    assert all(0.0 <= r <= 1.0 for r in result.recall_at_10.values())
    assert result.recall_at_10[128] >= result.recall_at_10[8]
    assert result.peak_rss_mb >= result.rss_mb > 0 and result.build_s > 0 and result.retriever_s > 0
    assert 0 < result.retriever_kept_s  # the second Retriever read the analysis the first one kept
    table = product_scale.format_table([result])
    assert "recall@10" in table and "2,000" in table


def test_run_writes_results_and_targets(tmp_path):
    """The whole benchmark end to end (index build, in-process, a real `zanger serve`), 5 requests a measure."""
    output = tmp_path / "results.json"
    assert run.main(["--requests", "5", "--encoder", "hashing", "--no-threads-probe", "--output", str(output)]) == 0
    payload = json.loads(output.read_text(encoding="utf-8"))
    results = payload["results"]
    assert results["floor_ms"]["count"] == results["in_process_ms"]["count"] == 5
    assert results["http"]["latency"]["latency_ms"]["count"] == results["http"]["cached"]["latency_ms"]["count"] == 5
    for name in ("c1", "c4", "c16"):
        assert results["http"][name]["sent"] == 5
        assert results["http"][name]["errors"] == 0
    assert results["server_ready_s"] > 0 and results["server_peak_rss_mb"] > 0
    assert {t["name"] for t in payload["targets"]} >= {"errors at c16", "server ready (s)"}


def test_load_client_counts_refused_requests_as_errors():
    """A port nothing listens on: every request is an error, none hangs."""
    result = load.run_load(f"http://127.0.0.1:{server.free_port()}", ["Кто?"] * 3, concurrency=2, time_limit=10)
    assert (result.sent, result.errors, result.throughput) == (3, 3, 0.0)


@pytest.mark.model
def test_concurrent_e5_queries_are_batched_and_equal_to_single_ones():
    """The encoder batches callers that arrive while it is busy (for throughput); each still gets its own vectors."""
    from concurrent.futures import ThreadPoolExecutor

    from assistant.encoders.e5 import E5Encoder

    encoder = E5Encoder()
    texts = questions.questions(24)
    alone = np.stack([encoder.encode_queries([text])[0] for text in texts])
    with ThreadPoolExecutor(8) as pool:
        together = np.stack([v[0] for v in pool.map(lambda text: encoder.encode_queries([text]), texts)])
    assert np.allclose(alone, together, atol=1e-5)
    passages = encoder.encode_passages(texts[:3])
    assert passages.shape == (3, encoder.dim) and not np.allclose(passages, alone[:3], atol=1e-3)


def test_cli_section_times_each_command_against_the_bare_encoder(tmp_path):
    """`python -m bench.cli` end to end, two rounds (a Russian and a Kazakh question): every measure, the target."""
    from bench import cli

    output = tmp_path / "cli.json"
    assert cli.main(["--runs", "2", "--encoder", "hashing", "--output", str(output)]) == 0
    payload = json.loads(output.read_text(encoding="utf-8"))
    median = payload["results"]["median_s"]
    assert set(median) == {"floor", "ask", "ask_lang", "refused", "version", "ask_ru", "ask_kk"}
    assert all(value > 0 for value in median.values())
    assert [t["name"] for t in payload["targets"]] == ["zanger ask / floor (medians)"]
