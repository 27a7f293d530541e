#!/usr/bin/env bash
# Runs console_test.mjs with playwright-core from npm and Debian's chromium (never a downloaded
# browser). playwright-core is installed once into BUILD_DIR/ui-test. Fails without node or
# chromium (exit 77 with VIGIL_ALLOW_SKIPS=1).
#   run_console_test.sh BUILD_DIR SOURCE_DIR VIGIL
set -euo pipefail
build=$(cd "$1" && pwd) src=$(cd "$2" && pwd) vigil=$(realpath "$3")
source "$(dirname "${BASH_SOURCE[0]}")/../support/missing_tool.sh"
command -v node >/dev/null && command -v npm >/dev/null || missing_tool "node or npm"
[[ -x /usr/bin/chromium ]] || missing_tool chromium
mods="$build/ui-test"
if [[ ! -d "$mods/node_modules/playwright-core" ]]; then
  mkdir -p "$mods"
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --prefix "$mods" --no-audit --no-fund --silent playwright-core@1.48.2
fi
cp "$src/tests/ui/console_test.mjs" "$mods/console_test.mjs"  # resolves playwright-core from there
exec node "$mods/console_test.mjs" "$vigil" "$build/tests/fixtures/plugins" "$build/plugins" "$build/ui-screenshots"
