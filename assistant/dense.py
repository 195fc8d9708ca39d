"""Dense search through the FAISS index the store builds: candidates by inner product, and the exact
similarity of any clause for the signals that need it.

Small corpora (one act: 120 vectors) use an exact flat index; above `Settings.ivf_min_vectors` the
store builds IVF-Flat, searched with `nprobe` lists (bench/product_scale.py chose both).
"""
from __future__ import annotations

import math

import faiss
import numpy as np

TRAIN_PER_LIST = 64  # k-means sample per IVF list (FAISS wants at least 39)
TRAIN_ROUNDS = 10  # k-means iterations


def build_faiss(vectors: np.ndarray, ivf_min_vectors: int) -> faiss.Index:
    """Unit vectors -> an inner-product index: exact below `ivf_min_vectors`, IVF-Flat (4·√n lists) above."""
    n, dim = vectors.shape
    if n < ivf_min_vectors:
        index = faiss.IndexFlatIP(dim)
    else:
        lists = max(1, int(4 * math.sqrt(n)))
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, lists, faiss.METRIC_INNER_PRODUCT)
        # k-means on 64 vectors a list, 10 rounds: at 200k vectors the same recall as 256 a list and
        # 25 rounds (0.95 at nprobe 64) for a quarter of the CPU; the latter would take ~30 min at 2M (bench/README.md).
        index.cp.niter = TRAIN_ROUNDS
        index.train(vectors[np.random.default_rng(0).permutation(n)[: min(n, TRAIN_PER_LIST * lists)]])
    index.add(vectors)
    return index


class DenseIndex:
    """A FAISS inner-product index over every clause vector (all languages), read-only."""

    def __init__(self, index: faiss.Index, nprobe: int):
        self.index = index
        self.dim, self.size = index.d, index.ntotal
        if isinstance(index, faiss.IndexIVF):
            index.nprobe = nprobe
            index.make_direct_map()  # so that any clause's vector can be read back for its exact score
            self._flat = None
        else:
            # The flat index's own storage, viewed without a copy.
            self._flat = faiss.rev_swig_ptr(index.get_xb(), self.size * self.dim).reshape(self.size, self.dim)

    @property
    def exact(self) -> bool:
        return self._flat is not None

    def search(self, query: np.ndarray, k: int) -> np.ndarray:
        """Rows of the `k` vectors nearest to `query` (all of them when the index is that small)."""
        if self.exact and k >= self.size:
            return np.arange(self.size)
        _, rows = self.index.search(np.ascontiguousarray(query[None, :], dtype=np.float32), min(k, self.size))
        return rows[0][rows[0] >= 0]

    def similarity(self, query: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Exact inner product of `query` with the vectors at `rows`."""
        if self.exact:
            return self._flat[rows] @ query
        return self.index.reconstruct_batch(np.asarray(rows, dtype=np.int64)) @ query
