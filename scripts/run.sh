#!/usr/bin/env bash
# Installs what is missing (Debian 12), builds, and runs vigil on configs/vigil.toml.
#   scripts/run.sh [extra vigil run arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-debian.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build --target vigil_default  # the agent and the plugins configs/vigil.toml enables
exec build/vigil run --config configs/vigil.toml "$@"
