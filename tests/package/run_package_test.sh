#!/usr/bin/env bash
# Installs vigil into a temporary prefix, builds plugin-api/examples against the installed
# VigilPluginApi package, then has the installed vigil load and run both plugins.
# Usage: run_package_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1 src=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/prefix" >/dev/null
cmake -S "$src/plugin-api/examples" -B "$work/plugins" -G Ninja -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/plugins" >/dev/null
chmod -R go-w "$work"
nm -D --defined-only "$work/plugins/example_c.so" | grep -q ' vigil_plugin_entry$'
exported=$(nm -D --defined-only "$work/plugins/example_cpp.so" | awk '$2 ~ /[TDRB]/ {print $3}' | grep -v '^_' || true)
[[ "$exported" == "vigil_plugin_entry" ]] || { echo "unexpected exports: $exported"; exit 1; }

"$work/prefix/bin/vigil" plugins -d "$work/plugins" | tee "$work/plugins.txt"
minor=$(awk '/^#define VIGIL_ABI_MINOR/ {print $3+0}' "$src/plugin-api/include/vigil/plugin.h")
grep -q "^example_c 1.0.0  ABI 1.$minor  vigil.collector/1" "$work/plugins.txt"
grep -q '^example_cpp 1.0.0' "$work/plugins.txt"
grep -q '^system ' "$work/plugins.txt"  # the installed bundled plugins are found too

cat >"$work/vigil.toml" <<TOML
[agent]
interval = "200ms"
plugin_dirs = ["$work/plugins"]
[http]
listen = "127.0.0.1:0"
[[collectors.example_c]]
stream = "a"
[[collectors.example_cpp]]
path = "$work/vigil.toml"
TOML
"$work/prefix/bin/vigil" check --config "$work/vigil.toml"
# Both examples keep the plugin contract, as the guide tells authors to check.
"$work/prefix/bin/vigil" plugins validate "$work/plugins/example_c.so" --config <(echo 'stream = "a"')
"$work/prefix/bin/vigil" plugins validate "$work/plugins/example_cpp.so" --config <(echo "path = \"$work/vigil.toml\"")
# The examples are installed with the guide, so an author has the files the guide refers to.
for f in CMakeLists.txt example_c.c example_cpp.cpp; do
  [[ -f "$work/prefix/share/doc/vigil/examples/plugins/$f" ]] || { echo "examples/plugins/$f is not installed"; exit 1; }
done
"$work/prefix/bin/vigil" run --config "$work/vigil.toml" 2>"$work/log" &
pid=$!
port=""
for _ in $(seq 100); do
  port=$(grep -o '"port":[0-9]*' "$work/log" | head -1 | cut -d: -f2 || true)
  [[ -n "$port" ]] && break
  sleep 0.05
done
[[ -n "$port" ]] || { cat "$work/log"; kill $pid; exit 1; }
ok=0
for _ in $(seq 50); do
  if curl -sf "http://127.0.0.1:$port/metrics" >"$work/metrics" &&
     grep -q '^example_c_random{stream="a"}' "$work/metrics" &&
     grep -q '^example_cpp_file_bytes{path=' "$work/metrics"; then ok=1; break; fi
  sleep 0.1
done
kill -TERM $pid
wait $pid
[[ $ok == 1 ]] || { echo "plugins' samples missing"; cat "$work/log"; exit 1; }
# The config of docs/writing-plugins.md ("5. Load it") loads these plugins once its placeholder
# directory is this build's.
awk '/^## 5. Load it/ {f=1} f && /^```toml/ {b=1; next} b && /^```/ {exit} b' "$src/docs/writing-plugins.md" |
  sed "s#/path/to/my-plugins/build#$work/plugins#" >"$work/doc.toml"
grep -q 'example_c' "$work/doc.toml" || { echo "no config found in docs/writing-plugins.md"; exit 1; }
"$work/prefix/bin/vigil" check --config "$work/doc.toml"
echo "package test passed"
