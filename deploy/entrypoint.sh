#!/bin/sh
# The fedtune image's entry point: `coordinator CONFIG` or `site CONFIG` runs that role from its mounted
# config file; anything else is passed to the fedtune command as is (e.g. `pki init`, `--help`).
set -eu
app="$(cd "$(dirname "$0")/.." && pwd)"
role="${1:-}"
case "$role" in
  coordinator | site)
    config="${2:?usage: entrypoint.sh $role CONFIG}"
    if [ ! -r "$config" ]; then
      echo "fedtune: no readable config at $config (is the ConfigMap mounted?)" >&2
      exit 2
    fi
    if [ "$role" = coordinator ]; then
      exec node "$app/bin/fedtune.mjs" coordinator start --config "$config"
    fi
    exec node "$app/bin/fedtune.mjs" client start --config "$config"
    ;;
  *)
    exec node "$app/bin/fedtune.mjs" "$@"
    ;;
esac
