"""The load soak (bench/soak.py) in a tiny mode, so it keeps working: a real `zanger serve`, no errors, every field reported.

No timing is asserted: the numbers depend on the machine; the 2-minute run's table is in SECURITY.md.
"""
import json
import sys
from pathlib import Path

# bench/ is a folder of scripts beside the package, not installed: import it from the checkout.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import soak  # noqa: E402


def test_a_tiny_soak_has_no_errors_and_reports_every_field(tmp_path, capsys):
    output = tmp_path / "soak.json"
    code = soak.main(["--seconds", "5", "--clients", "4", "--encoder", "hashing", "--output", str(output)])
    printed = capsys.readouterr().out
    r = json.loads(output.read_text(encoding="utf-8"))
    assert code == 0, printed
    assert r["errors"] == 0 and r["errors_by_kind"] == {} and r["error_samples"] == [], r["error_samples"]
    assert (r["lost_sessions"], r["inconsistent_repeats"], r["health_errors"]) == (0, 0, 0)
    assert r["server_alive_at_end"] is True
    assert (r["clients"], r["encoder"]) == (4, "hashing")
    assert set(r["sent"]) == {"new", "followup", "repeat"}
    assert r["requests"] == sum(r["sent"].values()) > 0
    assert r["health_checks"] >= 1 and r["distinct_new_questions"] >= 1
    for kind in ("new", "followup", "repeat", "all"):
        assert set(r["latency_ms"][kind]) == {"count", "p50", "p95", "p99", "mean"}
    assert r["latency_ms"]["all"]["count"] == r["requests"]
    memory = r["rss_mb"]
    assert {"ready", "start", "end", "growth", "peak", "samples"} <= set(memory)
    assert 0 < memory["start"] <= memory["peak"] and 0 < memory["end"] <= memory["peak"]
    assert memory["samples"] and all(sample["rss"] > 0 for sample in memory["samples"])
    for label in ("p50 ms", "p95 ms", "p99 ms", "server RSS", "errors: 0"):
        assert label in printed
