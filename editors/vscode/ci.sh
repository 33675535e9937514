#!/usr/bin/env bash
# CI for the VS Code extension: install, compile, unit tests, package, and
# the integration test against the real language server.
#
# SAFELS_BIN: the safels binary to test; unset, the server test builds one
# from this checkout with `go build` (needs Go; GOTOOLCHAIN=local).
set -euo pipefail
cd "$(dirname "$0")"

export GOTOOLCHAIN="${GOTOOLCHAIN:-local}"
export CI="${CI:-true}"
export npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false

step() { printf '\n==> %s\n' "$*"; }

step "npm ci"
npm ci --no-audit --no-fund

step "npm run compile"
npm run compile

step "npm test"
npm test

step "npm run package"
rm -f ./*.vsix
npm run package
ls -l ./*.vsix

step "npm run test:server"
npm run test:server

step "ok"
