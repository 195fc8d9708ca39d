"""The acts the assistant answers about: one folder per act, each with `act.json` and one text per language."""
from pathlib import Path

CORPUS_DIR = Path(__file__).resolve().parent
