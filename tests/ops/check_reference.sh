#!/usr/bin/env bash
# docs/config-reference.md is what `vigil config-reference` prints from the code's schemas (the
# core's and every bundled plugin's): a key added, removed or redescribed in the code without
# regenerating the file fails here.
#   check_reference.sh VIGIL SOURCE_DIR
set -euo pipefail
vigil=$1 src=$2
if ! diff -u "$src/docs/config-reference.md" <("$vigil" config-reference); then
  echo "docs/config-reference.md disagrees with the code's config schemas; regenerate it with"
  echo "  build/vigil config-reference > docs/config-reference.md"
  exit 1
fi
echo "docs/config-reference.md matches the schemas ($(grep -c '^| [a-z_.]* |' "$src/docs/config-reference.md") keys)"
