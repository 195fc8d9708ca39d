"""Performance benchmark of zanger: `python -m bench.run` (latency, throughput, start-up, memory), `python -m bench.scale` (FAISS at 10k-1M)."""
