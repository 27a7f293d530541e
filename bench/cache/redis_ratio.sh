#!/usr/bin/env bash
# The redis cache plugin's throughput beside redis-benchmark's on the same server and the same
# number of connections, unpipelined and with 16 commands a pipeline (docs/performance.md).
#   bench/cache/redis_ratio.sh [CONNECTIONS] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/../.."
conns=${1:-4}
secs=${2:-5}
cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DVIGIL_BUILD_BENCH=ON -DVIGIL_BUILD_TESTS=OFF >/dev/null
cmake --build build-bench --target vigil_redis_bench >/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --loglevel warning >/dev/null &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
for p in 1 16; do
  n=$((p == 1 ? 200000 : 2000000))
  echo "redis-benchmark, $conns connections, -P $p:"
  redis-benchmark -h 127.0.0.1 -p "$port" -c "$conns" -n "$n" -P "$p" -d 32 -r 10000 -t set,get -q | tr '\r' '\n' |
    grep 'requests per second' | sed 's/^/  /'
done
build-bench/vigil_redis_bench "$port" "$conns" "$secs"
