#!/usr/bin/env bash
# The shipped Prometheus configs and rule packs pass promtool: `check config` on prometheus.yml
# (which loads the rule packs) and federation.yml, `check rules` on every pack. Exit 77 (skipped)
# where promtool is missing.
#   check_prometheus.sh CONFIGS_DIR
set -euo pipefail
configs=$1
command -v promtool >/dev/null || { echo "promtool not installed: skipped"; exit 77; }
promtool check config "$configs/prometheus/prometheus.yml"
promtool check config "$configs/prometheus/federation.yml"
promtool check rules "$configs"/rules/*.yml
# prometheus.yml must keep loading the packs and sending alerts to vigil.
grep -q '^  - \.\./rules/\*\.yml' "$configs/prometheus/prometheus.yml"
grep -q 'storage.tsdb.retention.time=30d' "$configs/prometheus/prometheus.yml"
