#!/usr/bin/env bash
# tests/e2e/mongosh_diag.sh -- mongosh's admin and diagnostic helpers (mongosh_diag.js),
# run exactly as mongosh_crud.sh runs its script.
SDB_MONGOSH_SCRIPT=mongosh_diag.js exec bash "$(cd "$(dirname "$0")" && pwd)/mongosh_crud.sh"
