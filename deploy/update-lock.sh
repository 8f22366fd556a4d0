#!/usr/bin/env bash
# Re-pin requirements.lock (what the Docker image installs, with hashes) after a change to
# the dependencies in pyproject.toml. tests/test_packaging.py fails while the two disagree.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install --quiet pip-tools
python3 -m piptools compile --quiet --generate-hashes --allow-unsafe --strip-extras \
    --no-emit-index-url --no-emit-find-links --output-file=requirements.lock pyproject.toml
