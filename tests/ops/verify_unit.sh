#!/usr/bin/env bash
# The shipped systemd unit passes `systemd-analyze verify` (with ExecStart pointing at the vigil
# under test, since /usr/bin/vigil is not installed here), and keeps its hardening. Fails
# where systemd-analyze is missing (exit 77 with VIGIL_ALLOW_SKIPS=1).
#   verify_unit.sh UNIT VIGIL
set -euo pipefail
unit=$1 vigil=$2
source "$(dirname "${BASH_SOURCE[0]}")/../support/missing_tool.sh"
command -v systemd-analyze >/dev/null || missing_tool systemd-analyze
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sed "s#/usr/bin/vigil#$vigil#g" "$unit" > "$work/vigil.service"
out=$(systemd-analyze verify "$work/vigil.service" 2>&1) || { echo "$out"; exit 1; }
if [ -n "$out" ]; then echo "systemd-analyze verify is not clean:"; echo "$out"; exit 1; fi
for line in Type=notify ExecReload= WatchdogSec= User=vigil NoNewPrivileges=yes ProtectSystem=strict \
            ReadWritePaths=/var/lib/vigil PrivateTmp=yes "CapabilityBoundingSet=$"; do
  grep -q "^$line" "$unit" || { echo "the unit lacks $line"; exit 1; }
done
echo "vigil.service: systemd-analyze verify clean, hardening present"
