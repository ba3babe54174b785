#!/usr/bin/env bash
# Set up a checkout for running and testing Gotong: a virtualenv in .venv with the
# locked packages, the project installed editable. Quick when nothing changed.
# The Kafka jars are fetched by Maven on first use (services/local/broker.py).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

python=""
for candidate in "${GOTONG_PYTHON:-}" python3.13 python3.12 python3.11 python3; do
  [ -n "$candidate" ] || continue
  if command -v "$candidate" >/dev/null 2>&1 &&
     "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    python="$candidate"; break
  fi
done
if [ -z "$python" ]; then
  echo "gotong: Python 3.11 or newer is needed (set GOTONG_PYTHON to its path)" >&2
  exit 1
fi
command -v java >/dev/null 2>&1 || [ -n "${JAVA_HOME:-}" ] || [ -n "${GOTONG_KAFKA_BOOTSTRAP:-}" ] ||
  echo "gotong: warning: no Java found; the local Kafka broker needs Java 17+ (or set GOTONG_KAFKA_BOOTSTRAP)" >&2

stamp=".venv/.gotong-installed"
want="$(cat pyproject.toml requirements.lock | sha256sum | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
if [ ! -x .venv/bin/python ]; then
  echo "gotong: creating .venv with $python" >&2
  "$python" -m venv .venv
fi
echo "gotong: installing packages into .venv (first run only)" >&2
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install --quiet --disable-pip-version-check \
  --constraint requirements.lock --editable '.[test]'
echo "$want" > "$stamp"
