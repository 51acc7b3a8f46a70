#!/bin/sh
# Fails when the committed generated code is not exactly what `buf generate` makes from proto/
# now: regenerates into a scratch folder and compares it with src/gen.
set -eu
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
buf generate ../../proto --template buf.gen.yaml --output "$scratch"
if ! diff -r "$scratch/src/gen" src/gen >"$scratch/diff.txt"; then
  echo "generated code in $(pwd)/src/gen is stale: run 'pnpm turbo run generate' and commit" >&2
  head -n 200 "$scratch/diff.txt" >&2
  exit 1
fi
echo "generated code is fresh"
