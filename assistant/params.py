"""The fitted retrieval parameters (`params.json`, written by `zanger eval --fit`): fusion weights,
level priors, follow-up blending and the abstention model. A missing or malformed file is an error
that names it; nothing falls back to unrelated defaults.
"""
from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from .errors import ZangerError

PARAMS_FILE = Path(__file__).with_name("params.json")  # the parameters shipped with the package


class ParamsError(ZangerError):
    """The parameter file is missing or malformed (a packaging or editing mistake, or a wrong $ZANGER_PARAMS)."""


@dataclass(frozen=True)
class RetrievalParams:
    """Everything the fit chooses. The field defaults are the starting point of a fit, never a fallback."""

    weights: dict[str, float] = field(default_factory=lambda: {"lexical": 1.0, "dense": 1.0})
    normalization: str = "zscore"  # "minmax" | "zscore" | "max" | "rrf"
    level_prior: dict[str, float] = field(default_factory=dict)  # point / list / subpoint / part
    followup_weight: float = 0.6  # weight of the earlier turn's ranking in a follow-up's fused score
    followup_decay: float = 0.5  # each turn further back counts this much less
    settle_granularity: bool = True  # pick point / list / subpoint of the top point by the question's scope
    look_up_citations: bool = True  # the clauses a question cites by number ("пункт 8") come first
    abstain_coef: dict[str, float] = field(default_factory=dict)  # logistic model over abstention.FEATURES
    abstain_bias: float = 0.0
    # Per language, so each language keeps the refusal budget (the model's probabilities run unequally in the two):
    abstain_threshold: dict[str, float] = field(default_factory=dict)  # P(answerable) below this: not answered directly
    refuse_threshold: dict[str, float] = field(default_factory=dict)  # P(answerable) below this: not in the act at all

    @classmethod
    def load(cls, path: Path) -> "RetrievalParams":
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ParamsError("params_unreadable", path=path, reason=exc) from exc
        names = {f.name for f in fields(cls)}
        if not isinstance(data, dict) or set(data) - names:
            unknown = sorted(set(data) - names) if isinstance(data, dict) else "not an object"
            raise ParamsError("params_malformed", path=path, reason=f"unknown fields {unknown}")
        try:
            return cls(**data)
        except TypeError as exc:
            raise ParamsError("params_malformed", path=path, reason=exc) from exc

    def save(self, path: Path) -> None:
        """Write atomically: a killed fit leaves the previous file whole."""
        path = Path(path)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(json.dumps(asdict(self), ensure_ascii=False, indent=2) + "\n")
            os.chmod(tmp, 0o644)  # mkstemp's 0600 would make the replaced file private
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
