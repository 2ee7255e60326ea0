#!/usr/bin/env bash
# The steps of the GitHub Action (action.yml), here so a test can run them as the runner does.
#   install   build the tool inside the action's own checkout (the user's workspace is untouched)
#   validate  opsmeter validate --format github $INPUT_ARGS $INPUT_PATHS, in the workspace
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

case "${1:-}" in
  install)
    if [ -f "$root/dist/cli/main.js" ]; then
      echo "opsmeter is already built in $root"
    else
      # npm ci installs the locked dependencies and builds dist/ (the prepare script runs tsc).
      npm ci --prefix "$root" --no-audit --no-fund --loglevel=error
    fi
    ;;
  validate)
    # Split on spaces and new lines, but expand no glob here: opsmeter expands globs itself,
    # the same way on every shell (** included). A path cannot contain spaces.
    set -f
    # shellcheck disable=SC2206
    paths=(${INPUT_PATHS:-})
    # shellcheck disable=SC2206
    args=(${INPUT_ARGS:-})
    exec node "$root/bin/opsmeter.js" validate --format github "${args[@]}" "${paths[@]}"
    ;;
  *)
    echo "usage: $0 install|validate" >&2
    exit 2
    ;;
esac
