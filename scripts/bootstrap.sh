#!/usr/bin/env bash
# Installs everything the emulator suite and the tests need, from the package registries only.
# Idempotent: a second run with nothing changed takes a few seconds.
#   - functions/venv (Python 3.11, the CLI's expected location) with requirements-dev.txt
#   - firebase-tools (npm) under ~/.cache/salamin, pinned
#   - clients/web/node_modules (npm ci from its package-lock.json)
#   - Debian espeak-ng, sox, ffmpeg, festival, flite + voices (test media only) when running as root
# Fails with one line naming what is missing when it cannot be installed here.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
FIREBASE_TOOLS_VERSION=15.34.2
TOOLS_DIR=${SALAMIN_TOOLS_DIR:-$HOME/.cache/salamin/firebase-tools-$FIREBASE_TOOLS_VERSION}
FIRESTORE_JAR=/usr/lib/google-cloud-sdk/platform/cloud-firestore-emulator/cloud-firestore-emulator.jar

say() { printf '[bootstrap] %s\n' "$*" >&2; }
die() { printf 'bootstrap: %s\n' "$*" >&2; exit 1; }

PY=$(command -v python3.11 || true)
[ -n "$PY" ] || die "python3.11 not found (the functions runtime is python311)"
command -v npm >/dev/null || die "npm not found (needed to install firebase-tools)"

if [ ! -f "$FIRESTORE_JAR" ]; then
  alt=$(dpkg -L google-cloud-cli-firestore-emulator 2>/dev/null | grep 'cloud-firestore-emulator.*\.jar$' | head -n1 || true)
  [ -n "$alt" ] || die "Firestore emulator jar missing: install Debian package google-cloud-cli-firestore-emulator (not on the package registries)"
fi

# Python venv, reinstalled only when the requirement files change.
stamp=functions/venv/.requirements.sha256
want=$(cat functions/requirements.txt functions/requirements-dev.txt | sha256sum | cut -d' ' -f1)
if [ ! -x functions/venv/bin/python ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  say "installing Python dependencies into functions/venv"
  [ -x functions/venv/bin/python ] || "$PY" -m venv functions/venv
  functions/venv/bin/pip install -q --disable-pip-version-check -r functions/requirements-dev.txt \
    || die "pip install -r functions/requirements-dev.txt failed"
  echo "$want" > "$stamp"
fi

# Firebase CLI, pinned, outside the clone so every clone on this machine shares it.
if [ ! -x "$TOOLS_DIR/node_modules/.bin/firebase" ]; then
  say "installing firebase-tools@$FIREBASE_TOOLS_VERSION into $TOOLS_DIR (about 2 minutes)"
  mkdir -p "$TOOLS_DIR"
  npm install --prefix "$TOOLS_DIR" "firebase-tools@$FIREBASE_TOOLS_VERSION" \
    --no-audit --no-fund --loglevel=error >/dev/null || die "npm install firebase-tools failed"
fi
mkdir -p .runtime
echo "$TOOLS_DIR/node_modules/.bin/firebase" > .runtime/firebase-bin

# Web client contract tooling (json-schema-to-typescript, typescript, firebase JS SDK), pinned by
# clients/web/package-lock.json; reinstalled only when the lock file changes.
web_stamp=clients/web/node_modules/.lock.sha256
web_want=$(sha256sum clients/web/package-lock.json | cut -d' ' -f1)
if [ "$(cat "$web_stamp" 2>/dev/null)" != "$web_want" ]; then
  say "installing clients/web npm dependencies (npm ci)"
  (cd clients/web && npm ci --no-audit --no-fund --loglevel=error >/dev/null) \
    || die "npm ci in clients/web failed"
  echo "$web_want" > "$web_stamp"
fi

# Test media tools (espeak-ng, sox, ffmpeg; festival and flite with their US English voices for
# the wide accuracy bench): Debian packages, needed by the analysis tests and bench only.
missing=""
for t in espeak-ng sox ffmpeg festival flite; do command -v "$t" >/dev/null || missing="$missing $t"; done
for v in kal_diphone:festvox-kallpc16k ked_diphone:festvox-kdlpc16k cmu_us_slt_arctic_hts:festvox-us-slt-hts; do
  [ -d "/usr/share/festival/voices/english/${v%%:*}" ] || [ -d "/usr/share/festival/voices/us/${v%%:*}" ] \
    || missing="$missing ${v#*:}"
done
if [ -n "$missing" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing Debian packages:$missing"
    apt-get update -qq >/dev/null 2>&1 || true
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null 2>&1 \
      || die "apt-get install$missing failed"
  else
    say "warning: missing$missing (needed to build test media); install them with apt-get"
  fi
fi
say "ready ($ROOT)"
