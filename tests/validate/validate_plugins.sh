#!/usr/bin/env bash
# `vigil plugins validate` on every bundled plugin (each must keep every rule) and on fixture
# plugins broken in one named way (each must be caught by the rule it breaks). Plugins that
# need settings get them from tests/validate/NAME.toml; the Redis plugins get a redis-server
# started here on a free loopback port.
#   validate_plugins.sh BUILD_DIR SOURCE_DIR
set -uo pipefail
build=$(cd "$1" && pwd) src=$(cd "$2" && pwd)
source "$src/tests/support/missing_tool.sh"
command -v redis-server >/dev/null || missing_tool redis-server
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize no >"$work/redis.log" 2>&1 &
redis_pid=$!
trap 'kill $redis_pid 2>/dev/null; wait $redis_pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done

failures=0
validate() {  # validate FILE NAME -> prints the report into $work/NAME.txt, returns its status
  local file=$1 name=$2 args=()
  if [[ -f "$src/tests/validate/$name.toml" ]]; then
    sed "s/@REDIS_PORT@/$port/g" "$src/tests/validate/$name.toml" >"$work/$name.toml"
    args=(--config "$work/$name.toml")
  fi
  "$build/vigil" plugins validate "$file" "${args[@]}" --timeout 60 >"$work/$name.txt" 2>&1
}

for so in "$build"/plugins/*.so; do
  name=$(basename "$so" .so)
  if validate "$so" "$name"; then
    echo "ok    $name: $(tail -1 "$work/$name.txt")"
  else
    echo "FAIL  $name:"; cat "$work/$name.txt"; failures=$((failures + 1))
  fi
done

# Broken fixtures: the report must fail, naming the rule each one breaks.
expect_rule() {  # expect_rule FIXTURE RULE
  local name=$1 rule=$2
  if validate "$build/tests/fixtures/plugins/$name.so" "$name"; then
    echo "FAIL  $name: validate passed, but the plugin breaks \"$rule\""; cat "$work/$name.txt"; failures=$((failures + 1))
  elif grep -Eq "^  FAIL ($rule) " "$work/$name.txt"; then
    echo "ok    $name: caught by $rule"
  else
    echo "FAIL  $name: not caught by \"$rule\":"; cat "$work/$name.txt"; failures=$((failures + 1))
  fi
}
expect_rule create_fails create
expect_rule hangs_in_collect deadline
expect_rule invalid_metric_name samples
expect_rule throws_in_collect no-exceptions
# Under the sanitizer build, ASan catches the SIGSEGV and exits with its own status instead.
expect_rule crashes_in_collect 'collect-crash|collect-exit'
expect_rule bad_schema schema
expect_rule abi_contract cache-roundtrip
expect_rule abi_major_mismatch entry
expect_rule missing_entry entry

if ((failures)); then echo "$failures problem(s)"; exit 1; fi
echo "every bundled plugin keeps the contract; every broken fixture is caught by its rule"
