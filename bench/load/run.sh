#!/usr/bin/env bash
# Load engine figures (docs/performance.md): vigil's http_message in the closed model beside wrk
# (same threads, connections and request: a POST of the same JSON body) against nginx serving a
# small response and against bench/targets; vigil's CPU per 100,000 requests; vigil's memory
# holding 10,000 WebSocket connections; the histogram's record cost. Release build in build-bench/.
#   bench/load/run.sh [THREADS] [CONNECTIONS] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/../.."
threads=${1:-2}
conns=${2:-32}
secs=${3:-10}
cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DVIGIL_BUILD_BENCH=ON -DVIGIL_BUILD_TESTS=OFF >/dev/null
cmake --build build-bench --target vigil vigil_sample_target vigil_scenario_http_message vigil_scenario_websocket \
  vigil_histogram_bench >/dev/null
vigil=build-bench/vigil
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT

body='{"user": "user-1", "conversation": "conv-1", "text": "hello deploy status message agent", "seq": 1}'
cat > "$work/post.lua" <<LUA
wrk.method = "POST"
wrk.body = '$body'
wrk.headers["Content-Type"] = "application/json"
LUA

run_pair() {  # name url
  local name=$1 url=$2
  local wrk_rps vigil_rps
  wrk_rps=$(wrk -t"$threads" -c"$conns" -d"${secs}s" -s "$work/post.lua" "$url/api/messages" |
    awk '/Requests\/sec/ {print $2}')
  $vigil bench run http_message --target "$url" --vus "$conns" --threads "$threads" -d "${secs}s" --no-progress \
    --set "body_template=$body" --out "$work/$name" >/dev/null 2>&1 || true
  vigil_rps=$(python3 -c "import json; r=json.load(open('$work/$name/report.json')); print('%.0f' % r['summary']['throughput_rps'])")
  local cpu
  cpu=$(python3 -c "import json; r=json.load(open('$work/$name/report.json')); s=r['summary']; print('%.3f' % (s['generator_cpu_seconds'] / max(1, s['requests']) * 1e5))")
  echo "$name: wrk $wrk_rps req/s, vigil $vigil_rps req/s, ratio $(python3 -c "print('%.2f' % ($vigil_rps / $wrk_rps))"), vigil CPU ${cpu} s per 100k requests"
}

# nginx with a small fixed response.
nport=$(free_port)
mkdir -p "$work/nginx"
cat > "$work/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $work/nginx;
  server { listen 127.0.0.1:$nport; location / { return 200 '{"id": 1, "reply": "ok"}'; } }
}
CONF
nginx -c "$work/nginx.conf" -p "$work/nginx" &
pids+=($!)
sport=$(free_port)
build-bench/bench/vigil_sample_target --listen "127.0.0.1:$sport" --threads "$threads" >/dev/null 2>&1 &
pids+=($!)
sleep 1
run_pair nginx "http://127.0.0.1:$nport"
run_pair sample_target "http://127.0.0.1:$sport"

# 10,000 WebSocket connections held; vigil's peak memory.
/usr/bin/time -f "%M" -o "$work/rss" $vigil bench run websocket --target "ws://127.0.0.1:$sport/ws" --vus 10000 \
  --connect-rate 5000 --rate 2000 --threads "$threads" -d 10s --no-progress --out "$work/ws" >/dev/null 2>&1 || true
python3 - "$work" <<'PY'
import json, sys
w = sys.argv[1]
r = json.load(open(w + "/ws/report.json"))
print("websocket: %d connections held, %d round trips, p99 %.2f ms, vigil peak RSS %.0f MiB" % (
    r["summary"]["max_connections_open"], r["summary"]["ok"], r["latency"]["p99"] / 1000,
    int(open(w + "/rss").read().split()[-1]) / 1024))
PY
build-bench/vigil_histogram_bench
