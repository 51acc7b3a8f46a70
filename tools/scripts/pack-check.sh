#!/bin/sh
# Checks the artifact a package would publish, not its source tree: publint for the package.json
# and exports map, are-the-types-wrong for the types every Node 16+ ESM resolver sees.
set -eu
rm -rf .pack && mkdir .pack
trap 'rm -rf .pack' EXIT
pnpm pack --pack-destination .pack >/dev/null
tarball=$(ls .pack/*.tgz)
publint run --strict "$tarball"
attw "$tarball" --profile esm-only --format table-flipped
