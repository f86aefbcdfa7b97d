#!/usr/bin/env bash
# The whole test suite: install what is missing, then pytest. The suite starts the emulators
# itself (once per session) and stops them at the end. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
functions/venv/bin/ruff check .
functions/venv/bin/ruff format --check -q .
functions/venv/bin/mypy functions/salamin functions/main.py scripts bench tests
functions/venv/bin/python scripts/gen_client_types.py --check
(cd clients/web && node_modules/.bin/tsc --noEmit -p tsconfig.json)
functions/venv/bin/pytest -q -p no:cacheprovider tests/architecture   # layering contracts
exec functions/venv/bin/pytest "$@"
