#!/usr/bin/env bash
# Installs the test dependencies into .venv and runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/pip install -q --upgrade pip
.venv/bin/pip install -q -r requirements.txt -r requirements-test.txt
.venv/bin/pip install -q -e . --no-deps
.venv/bin/python -m pytest -q "$@"
