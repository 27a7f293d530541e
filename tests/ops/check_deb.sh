#!/usr/bin/env bash
# The .deb that `cpack -G DEB` builds: its control data, its layout, and an agent that works
# from it. Unpacks it into a temporary root with `dpkg -x` (nothing is installed on the machine),
# then runs the unpacked vigil's `check` on the unpacked default config and lists the plugins it
# finds beside itself. Fails (exit 77 with VIGIL_ALLOW_SKIPS=1) without dpkg-deb.
#   check_deb.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1 src=$2
source "$(dirname "${BASH_SOURCE[0]}")/../support/missing_tool.sh"
command -v dpkg-deb >/dev/null || missing_tool dpkg-deb
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

cpack --config "$build/CPackConfig.cmake" -G DEB -B "$work/out" >"$work/cpack.log" 2>&1 ||
  { cat "$work/cpack.log"; fail "cpack -G DEB failed"; }
deb=$(find "$work/out" -maxdepth 1 -name 'vigil_*.deb' | head -1)
[[ -n "$deb" ]] || fail "cpack made no vigil_*.deb in $work/out"
echo "package: $(basename "$deb"), $(stat -c %s "$deb") bytes"

dpkg-deb --field "$deb" Package Version Architecture Depends >"$work/control"
cat "$work/control"
grep -q '^Package: vigil$' "$work/control" || fail "Package is not vigil"
for lib in libc6 libcurl4 libsqlite3-0 libssl3 adduser; do
  grep -q "^Depends:.*\b$lib\b" "$work/control" || fail "Depends lacks $lib (dpkg-shlibdeps did not run?)"
done
dpkg-deb --ctrl-tarfile "$deb" | tar -x -C "$work" ./conffiles ./postinst ./prerm ./postrm
grep -qx '/etc/vigil/vigil.toml' "$work/conffiles" || fail "/etc/vigil/vigil.toml is not a conffile"
for s in postinst prerm postrm; do sh -n "$work/$s" || fail "$s is not valid sh"; done
grep -q 'adduser --system' "$work/postinst" || fail "postinst does not create the vigil user"

root="$work/root"
dpkg -x "$deb" "$root"
for f in usr/bin/vigil usr/lib/vigil/vigil-plugin-host etc/vigil/vigil.toml usr/lib/systemd/system/vigil.service \
         usr/share/vigil/rules/vigil.yml usr/share/vigil/prometheus/prometheus.yml \
         usr/share/vigil/grafana/provisioning/dashboards/vigil.yml usr/share/doc/vigil/operations.md \
         usr/include/vigil/plugin.h usr/lib/cmake/VigilPluginApi/VigilPluginApiConfig.cmake; do
  [[ -e "$root/$f" ]] || fail "the package lacks /$f"
done
# Every plugin the build made is in the package, and nothing is left under /usr/local or /usr/etc.
for so in "$build"/plugins/*.so; do
  [[ -e "$root/usr/lib/vigil/plugins/$(basename "$so")" ]] || fail "the package lacks plugin $(basename "$so")"
done
[[ ! -e "$root/usr/local" && ! -e "$root/usr/etc" ]] || fail "files outside Debian's layout: $(ls -d "$root"/usr/local "$root"/usr/etc 2>/dev/null)"
# The unit the package ships runs the binary the package ships.
grep -q '^ExecStart=/usr/bin/vigil run --config /etc/vigil/vigil.toml' "$root/usr/lib/systemd/system/vigil.service" ||
  fail "the unit's ExecStart does not run /usr/bin/vigil with /etc/vigil/vigil.toml"

export VIGIL_STATE_DIR="$work/state"
"$root/usr/bin/vigil" check --config "$root/etc/vigil/vigil.toml" | tee "$work/check.txt"
grep -q ': OK ' "$work/check.txt" || fail "vigil check did not pass on the packaged config"
"$root/usr/bin/vigil" plugins >"$work/plugins.txt"
n=$(grep -c "file: $root/usr/lib/vigil/plugins/" "$work/plugins.txt" || true)
want=$(find "$build/plugins" -maxdepth 1 -name '*.so' | wc -l)
[[ "$n" -eq "$want" ]] || { cat "$work/plugins.txt"; fail "the unpacked vigil found $n of its $want plugins"; }
grep -q "file: $build" "$work/plugins.txt" && fail "the unpacked vigil loaded plugins from the build tree"
echo "the unpacked vigil checks its default config and loads its $n plugins from /usr/lib/vigil/plugins"
