#!/bin/sh
# The one entry point behind the README's commands (`npm run mock`, `npm test`, and
# `npm run servingkit -- <command>` for any CLI command).
# A fresh clone has only system Node and npm: this brings pnpm and the project's own Node 24
# (the `node` devDependency), installs the workspace, then hands over to turbo or the CLI.
set -eu
cd "$(dirname "$0")/../.."
task="${1:?usage: sk.sh mock|cli|test [args...]}"
shift

export TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1 TURBO_NO_UPDATE_NOTIFIER=1
if [ ! -x node_modules/.bin/node ] || [ ! -x node_modules/.bin/pnpm ] || [ pnpm-lock.yaml -nt node_modules/.modules.yaml ]; then
  npx -y pnpm@10.34.9 install --frozen-lockfile --reporter=append-only
fi
# From here on `node` is the project's Node 24 and `pnpm`, `turbo`, `tsc` are the workspace's.
PATH="$PWD/node_modules/.bin:$PATH"
export PATH

case "$task" in
  mock | cli)
    turbo run build --filter=@servingkit/cli --output-logs=errors-only >&2
    if [ "$task" = mock ]; then
      [ "$#" -gt 0 ] || set -- all
      set -- mock "$@"
    fi
    # The Node binary itself, not node_modules/.bin's shell shim, so SIGTERM reaches the mocks.
    exec node_modules/node/bin/node apps/cli/dist/bin.js "$@"
    ;;
  test)
    exec node tools/scripts/check.mjs "$@"
    ;;
  *)
    echo "sk.sh: unknown task '$task' (expected mock, cli or test)" >&2
    exit 2
    ;;
esac
