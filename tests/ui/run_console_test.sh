#!/usr/bin/env bash
# Runs console_test.mjs with playwright-core from npm and Debian's chromium (never a downloaded
# browser). playwright-core is installed once into BUILD_DIR/ui-test. Exit 77 (skipped) without
# node or chromium.
#   run_console_test.sh BUILD_DIR SOURCE_DIR VIGIL
set -euo pipefail
build=$(cd "$1" && pwd) src=$(cd "$2" && pwd) vigil=$(realpath "$3")
command -v node >/dev/null && command -v npm >/dev/null || { echo "node/npm not installed: skipped"; exit 77; }
[[ -x /usr/bin/chromium ]] || { echo "chromium not installed: skipped"; exit 77; }
mods="$build/ui-test"
if [[ ! -d "$mods/node_modules/playwright-core" ]]; then
  mkdir -p "$mods"
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --prefix "$mods" --no-audit --no-fund --silent playwright-core@1.48.2
fi
cp "$src/tests/ui/console_test.mjs" "$mods/console_test.mjs"  # resolves playwright-core from there
exec node "$mods/console_test.mjs" "$vigil" "$build/tests/fixtures/plugins" "$build/plugins" "$build/ui-screenshots"
