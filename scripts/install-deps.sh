#!/usr/bin/env bash
# Installs the Debian 12 packages the Stateful SDK needs to build, test, benchmark and package
# (scdoc: man pages; graphviz: docs/architecture.svg; dpkg-dev, file, man-db: `make deb` and its test).
# Idempotent: installs only what is missing and prints nothing when everything is present.
# Uses sudo only when not already root.
set -euo pipefail

pkgs=(
  build-essential pkg-config
  protobuf-c-compiler libprotobuf-c-dev
  libcurl4-openssl-dev libjansson-dev libyaml-dev libmicrohttpd-dev
  libzookeeper-mt-dev zlib1g-dev
  zookeeper default-jre-headless
  wrk curl openssl
  clang libclang-rt-14-dev
  scdoc graphviz dpkg-dev file man-db
  nodejs npm chromium
)
[ "${SDK_DEPS_MINIMAL:-0}" = 1 ] && pkgs=(build-essential pkg-config protobuf-c-compiler libprotobuf-c-dev
  libcurl4-openssl-dev libjansson-dev libyaml-dev libmicrohttpd-dev libzookeeper-mt-dev zlib1g-dev scdoc)

missing=()
for p in "${pkgs[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
# A JRE may already be present without the Debian package (e.g. a JDK in /usr/lib/jvm); ZooKeeper only needs `java`.
if command -v java >/dev/null 2>&1; then
  tmp=(); for p in "${missing[@]}"; do [ "$p" = default-jre-headless ] || tmp+=("$p"); done; missing=("${tmp[@]+"${tmp[@]}"}")
fi
# Node may come from elsewhere (NodeSource's nodejs bundles npm and conflicts with Debian's npm):
# the console's browser test only needs `node` and `npm` on the PATH.
if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
  tmp=(); for p in "${missing[@]}"; do [ "$p" = nodejs ] || [ "$p" = npm ] || tmp+=("$p"); done; missing=("${tmp[@]+"${tmp[@]}"}")
fi
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
# libclang-rt-14-dev (libFuzzer and the sanitizer runtimes for `make fuzz`) is only a Recommends
# of clang, hence listed. zookeeper's postinst wants a JRE; --no-install-recommends keeps the footprint small.
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
