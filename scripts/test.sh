#!/usr/bin/env bash
# Install zanger with its test extras and run the test suite: the whole suite on Python 3.11
# (.venv), then everything but the browser tests on Python 3.13 (.venv313).
#   bash scripts/test.sh                 # both
#   ZANGER_PY313=0 bash scripts/test.sh  # 3.11 only
# Arguments are passed to both pytest runs.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian's chromium for the browser tests (Playwright drives it; browsers are never downloaded).
if ! command -v chromium >/dev/null 2>&1; then
    apt-get update -qq && apt-get install -y -qq chromium >/dev/null
fi

python3 -m venv .venv
.venv/bin/pip install -q --upgrade pip
# The CPU wheel of torch first: an unpinned torch would pull gigabytes of CUDA packages.
.venv/bin/pip install -q torch==2.13.0
.venv/bin/pip install -q -e ".[st,test,test-st]"
# Python 3.13: python3.13 on PATH, else pyenv's newest 3.13. Its venv is installed in the background
# while the 3.11 suite runs (installing is mostly waiting on I/O), so CI pays for it only once.
py313=""
if [ "${ZANGER_PY313:-1}" != 0 ]; then
    if python3.13 -c "" 2>/dev/null; then
        py313=python3.13
    else
        for candidate in $(ls -d "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.13*/bin/python3.13 2>/dev/null | sort -V); do
            py313=$candidate
        done
    fi
    if [ -z "$py313" ]; then
        echo "Python 3.13 not found (python3.13 or pyenv): install it to run the 3.13 suite" >&2
        exit 1
    fi
    # No CPU wheel of torch exists for 3.13 on this machine or PyPI (PyPI's is a CUDA build of several
    # GB), so the sentence-transformers backend ([st], [test-st]) is tested on 3.11 only: its
    # tests skip here (pytest.importorskip), everything else runs.
    (
        "$py313" -m venv .venv313 &&
        .venv313/bin/pip install -q --upgrade pip &&
        .venv313/bin/pip install -q -e ".[test]"
    ) > .venv313-install.log 2>&1 &
    install313=$!
fi

echo "== Python $(.venv/bin/python -c 'import platform; print(platform.python_version())'): the whole suite"
.venv/bin/python -m pytest -q -p no:cacheprovider "$@"


[ -z "$py313" ] && exit 0
if ! wait "$install313"; then
    cat .venv313-install.log >&2
    exit 1
fi
echo "== Python $(.venv313/bin/python -c 'import platform; print(platform.python_version())'): all but the browser tests"
.venv313/bin/python -m pytest -q -p no:cacheprovider -m "not browser" "$@"
