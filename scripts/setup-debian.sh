#!/usr/bin/env bash
# Installs what building and testing vigil needs on Debian 12 (bookworm), and nothing twice:
# every step checks first, so a re-run on a prepared machine takes a second or two.
#
#   scripts/setup-debian.sh          build dependencies only
#   scripts/setup-debian.sh --test   plus the servers and tools the test suite talks to
#
# Catch2 v3 comes from bookworm-backports, pinned low so nothing else is upgraded from it.
# prometheus-cpp is not packaged for bookworm: its core library is built from Debian's own
# source tarball (trixie) into /usr/local, without adding trixie to the apt sources.
set -euo pipefail

want_test=0
[[ "${1:-}" == "--test" ]] && want_test=1

SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi

build_pkgs=(build-essential cmake ninja-build pkg-config git ca-certificates
  libboost1.81-dev libtomlplusplus-dev libspdlog-dev libfmt-dev libcli11-dev nlohmann-json3-dev
  libcurl4-openssl-dev libssl-dev libsqlite3-dev libhiredis-dev libre2-dev libyaml-cpp-dev libhowardhinnant-date-dev
  libkainjow-mustache-dev tzdata clang-format file)
test_pkgs=(prometheus redis-server python3-aiosmtpd python3-yaml curl openssl docker-compose chromium systemd gcovr
  clang-16 libclang-rt-16-dev libfuzzer-16-dev)  # node and npm come with the base image; clang-16: fuzzing

missing=()
pkg_missing() { ! dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
for p in "${build_pkgs[@]}"; do pkg_missing "$p" && missing+=("$p"); done
if (( want_test )); then for p in "${test_pkgs[@]}"; do pkg_missing "$p" && missing+=("$p"); done; fi
need_catch2=0
if ! dpkg-query -W -f='${Version}' libcatch2-dev 2>/dev/null | grep -q '^3'; then need_catch2=1; fi

# The mirror the machine already uses; no host is written into any file by hand.
mirror_uri() {
  local uri=""
  if [[ -f /etc/apt/sources.list.d/debian.sources ]]; then
    uri=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources)
  fi
  if [[ -z "$uri" && -f /etc/apt/sources.list ]]; then
    uri=$(awk '$1=="deb" && $0 ~ /bookworm/ {for(i=2;i<=NF;i++) if ($i ~ /^(https?|file):/) {print $i; exit}}' /etc/apt/sources.list)
  fi
  echo "${uri:-http://deb.debian.org/debian}"
}

if (( ${#missing[@]} || need_catch2 )); then
  if (( need_catch2 )) && [[ ! -f /etc/apt/sources.list.d/vigil-backports.list ]]; then
    echo "deb $(mirror_uri) bookworm-backports main" | $SUDO tee /etc/apt/sources.list.d/vigil-backports.list >/dev/null
    printf 'Package: *\nPin: release n=bookworm-backports\nPin-Priority: 100\n' |
      $SUDO tee /etc/apt/preferences.d/vigil-backports >/dev/null
  fi
  echo "setup: installing ${missing[*]} $( ((need_catch2)) && echo catch2-v3)"
  $SUDO apt-get update -qq || echo "setup: apt-get update reported errors; continuing with the lists it fetched"
  export DEBIAN_FRONTEND=noninteractive
  if (( ${#missing[@]} )); then
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
  if (( need_catch2 )); then
    $SUDO apt-get install -y -qq --no-install-recommends catch2/bookworm-backports libcatch2-dev/bookworm-backports
  fi
fi

# prometheus-cpp core, from Debian's source tarball.
if [[ ! -f /usr/local/lib/cmake/prometheus-cpp/prometheus-cpp-config.cmake ]]; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  mkdir -p "$work/lists/partial"
  echo "deb-src $(mirror_uri) trixie main" >"$work/sources.list"
  apt_opts=(-o "Dir::Etc::sourcelist=$work/sources.list" -o Dir::Etc::sourceparts=/nonexistent
    -o "Dir::State::Lists=$work/lists" -o APT::Sandbox::User=root)
  echo "setup: building prometheus-cpp core from Debian's source"
  apt-get "${apt_opts[@]}" update -qq
  (cd "$work" && apt-get "${apt_opts[@]}" source --tar-only --download-only prometheus-cpp >/dev/null)
  tar -C "$work" -xzf "$work"/prometheus-cpp_*.orig.tar.gz
  src=$(find "$work" -maxdepth 1 -type d -name 'prometheus-cpp*' | head -n1)
  cmake -S "$src" -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF \
    -DCMAKE_POSITION_INDEPENDENT_CODE=ON -DENABLE_PUSH=OFF -DENABLE_PULL=OFF -DENABLE_COMPRESSION=OFF \
    -DENABLE_TESTING=OFF -DUSE_THIRDPARTY_LIBRARIES=OFF -DCMAKE_INSTALL_PREFIX=/usr/local >/dev/null
  cmake --build "$work/build" >/dev/null
  $SUDO cmake --install "$work/build" >/dev/null
fi
echo "setup: dependencies present"
