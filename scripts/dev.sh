#!/usr/bin/env bash
# The main job: install what is missing, start the emulator suite with our functions, seed the
# demo data, print how to call the functions, and run until Ctrl-C (which stops everything).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
exec functions/venv/bin/python scripts/stack.py up --seed
