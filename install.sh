#!/usr/bin/env bash
# Install facerep from this clone: the README's Quick start runs it, and so does CI (.ci/run), so the two
# cannot drift. Usage:
#   ./install.sh                 # into the Python environment that is active (or the python3 on PATH)
#   ./install.sh --venv DIR      # into the virtual environment DIR (made first when it does not exist)
# PYTHON=python3.12 picks the interpreter; pip's own settings (PIP_NO_CACHE_DIR, PIP_QUIET, …) pass through.
set -euo pipefail
cd "$(dirname "$0")"
PY=${PYTHON:-python3}
VENV=""
while [ $# -gt 0 ]; do
  case "$1" in
    --venv) VENV=${2:?"--venv needs a folder"}; shift 2 ;;
    --venv=*) VENV=${1#--venv=}; shift ;;
    -h|--help) sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install.sh: unknown argument '$1' (see ./install.sh --help)" >&2; exit 2 ;;
  esac
done
if [ -n "$VENV" ]; then
  [ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
  PY="$VENV/bin/python"
fi
"$PY" -m pip install --upgrade pip
# torch first, pinned: the versions the tests are run with
"$PY" -m pip install "torch==2.14.1" "torchvision==0.29.1"
"$PY" -m pip install -e ".[dev,detect]"
# MTCNN face detection (offline weights); --no-deps because its own pins are ancient
"$PY" -m pip install --no-deps facenet-pytorch
# --- post-install steps ----------------------------------------------------------------------------------
# face-api's face-trained TF.js weights (npm pack of @vladmandic/face-api@1.7.15, integrity-checked) into
# facerep's cache: the faceapi:* backbones, landmarker=faceapi and their tests read them (needs npm)
"$PY" -m facerep weights faceapi
# --- end of post-install steps ---------------------------------------------------------------------------
"$PY" -m facerep --help >/dev/null
echo "facerep installed for $PY"
