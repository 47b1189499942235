#!/usr/bin/env bash
# One command for a fresh machine: install, build, then run every service on the embedded default.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec node bin/govmail.js start "$@"
