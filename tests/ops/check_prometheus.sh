#!/usr/bin/env bash
# The shipped Prometheus configs and rule packs pass promtool: `check config` on prometheus.yml
# (which loads the rule packs) and federation.yml, `check rules` on every pack. Fails (exit 77 with VIGIL_ALLOW_SKIPS=1)
# where promtool is missing.
#   check_prometheus.sh CONFIGS_DIR
set -euo pipefail
configs=$1
source "$(dirname "${BASH_SOURCE[0]}")/../support/missing_tool.sh"
command -v promtool >/dev/null || missing_tool promtool
promtool check config "$configs/prometheus/prometheus.yml"
promtool check config "$configs/prometheus/federation.yml"
promtool check rules "$configs"/rules/*.yml
# prometheus.yml must keep loading the packs and sending alerts to vigil.
grep -q '^  - \.\./rules/\*\.yml' "$configs/prometheus/prometheus.yml"
grep -q 'storage.tsdb.retention.time=30d' "$configs/prometheus/prometheus.yml"
