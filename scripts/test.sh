#!/usr/bin/env bash
# Install zanger with its test extras into .venv and run the whole test suite.
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
.venv/bin/pip install -q -e ".[st,test]"
.venv/bin/python -m pytest -q -p no:cacheprovider "$@"
