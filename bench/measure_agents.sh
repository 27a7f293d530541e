#!/usr/bin/env bash
# Measures vigil beside collectd and prometheus-node-exporter, the same way, in one run:
# start-up time to serving, RSS and CPU seconds over an idle window, and /metrics latency
# (median and p99 over 1,000 scrapes on one keep-alive connection) and size.
#   bench/measure_agents.sh [idle_seconds]      (default 60; loopback only)
# Needs: build/vigil (scripts/run.sh builds it), collectd-core libprotobuf-c1 libmicrohttpd12
# prometheus-node-exporter (installed on demand).
set -euo pipefail
cd "$(dirname "$0")/.."
idle=${1:-60}
missing=()
for p in collectd-core libprotobuf-c1 libmicrohttpd12 prometheus-node-exporter; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

now_ms() { date +%s%3N; }
wait_http() {  # url -> ms until it answers 200
  local t0; t0=$(now_ms)
  for _ in $(seq 2000); do
    curl -sf -o /dev/null "$1" && { echo $(( $(now_ms) - t0 )); return; }
    sleep 0.005
  done
  echo "timeout"
}
proc_figures() {  # pid -> "rss_mib cpu_seconds"
  local rss ticks; rss=$(awk '/VmRSS/ {print $2}' /proc/$1/status)
  ticks=$(awk '{print $14 + $15}' /proc/$1/stat)
  awk -v r="$rss" -v t="$ticks" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.1f %.2f", r/1024, t/hz}'
}
# vigil on its default config (10 s interval), on a free port.
VIGIL_LISTEN=127.0.0.1:19479 build/vigil run --config configs/vigil.toml 2>"$work/vigil.log" &
vpid=$!
vready=$(wait_http http://127.0.0.1:19479/readyz)

cat >"$work/collectd.conf" <<CONF
Interval 10
LoadPlugin cpu
LoadPlugin memory
LoadPlugin df
LoadPlugin interface
LoadPlugin load
LoadPlugin write_prometheus
<Plugin write_prometheus>
  Port "19103"
</Plugin>
CONF
collectd -f -C "$work/collectd.conf" >"$work/collectd.log" 2>&1 &
cpid=$!
cready=$(wait_http http://127.0.0.1:19103/metrics)

prometheus-node-exporter --web.listen-address=127.0.0.1:19100 --no-collector.systemd >"$work/ne.log" 2>&1 &
npid=$!
nready=$(wait_http http://127.0.0.1:19100/metrics)

echo "# $(date -u +%FT%TZ) $(nproc) cores, idle window ${idle}s"
declare -A pid=([vigil]=$vpid [collectd]=$cpid [node_exporter]=$npid)
declare -A ready=([vigil]=$vready [collectd]=$cready [node_exporter]=$nready)
declare -A url=([vigil]=http://127.0.0.1:19479/metrics [collectd]=http://127.0.0.1:19103/metrics
                [node_exporter]=http://127.0.0.1:19100/metrics)
declare -A before
# The idle window is shared, so all three see the same machine noise.
for n in vigil collectd node_exporter; do before[$n]=$(proc_figures "${pid[$n]}"); done
sleep "$idle"
for n in vigil collectd node_exporter; do
  after=$(proc_figures "${pid[$n]}")
  cpu=$(awk -v a="${before[$n]#* }" -v b="${after#* }" -v s="$idle" 'BEGIN {printf "%.3f", (b-a)/s*100}')
  scrape=$(python3 bench/scrape_latency.py "${url[$n]}" 1000)  # one agent at a time
  printf "%-14s ready_ms=%s rss_mib=%s idle_cpu_pct_of_one_core=%s %s rss_after_scrapes_mib=%s\n" \
    "$n" "${ready[$n]}" "${after%% *}" "$cpu" "$scrape" "$(proc_figures "${pid[$n]}" | cut -d' ' -f1)"
done
