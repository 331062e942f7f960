#!/bin/sh
# shardkit's two entry points, for a fresh Debian 12 machine (as root) or a
# developer's checkout:
#
#   share/scripts/dev.sh demo   install what is missing, build, run the demo
#   share/scripts/dev.sh test   install what is missing, build, run every test
#                               (all ctest labels but bench; fuzz smoke runs
#                               when clang with libFuzzer is present)
#
# Packages are installed with apt-get only when missing.
set -eu
cd "$(dirname "$0")/../.."

PACKAGES="build-essential cmake pkg-config git
  libzmq3-dev cppzmq-dev libcxxopts-dev libcereal-dev rapidjson-dev
  libxxhash-dev nettle-dev zlib1g-dev
  catch2 libbenchmark-dev bats scdoc mandoc
  clang libclang-rt-14-dev zsh fish bsdextrautils bc time strace
  iproute2 iptables"

install_missing() {
  missing=""
  for p in $PACKAGES; do
    if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
      missing="$missing $p"
    fi
  done
  [ -z "$missing" ] && return 0
  echo "dev.sh: installing:$missing" >&2
  if [ "$(id -u)" -ne 0 ]; then
    echo "dev.sh: these packages are missing; run as root or install them:$missing" >&2
    exit 69
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  # shellcheck disable=SC2086
  apt-get install -y -q --no-install-recommends $missing
}

# True when clang++ can link a libFuzzer target.
have_libfuzzer() {
  command -v clang++ >/dev/null 2>&1 || return 1
  t=$(mktemp -d)
  printf 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }\n' >"$t/f.cpp"
  clang++ -fsanitize=fuzzer "$t/f.cpp" -o "$t/f" >/dev/null 2>&1
  rc=$?
  rm -rf "$t"
  return $rc
}

jobs() { nproc 2>/dev/null || echo 2; }

case "${1:-}" in
  demo)
    install_missing
    cmake --preset release >/dev/null
    cmake --build --preset release --target ringctl txpart txcoord replicad -j "$(jobs)"
    exec bash share/scripts/demo.sh build/release/tools
    ;;
  test)
    install_missing
    cmake --preset debug >/dev/null
    cmake --build --preset debug -j "$(jobs)"
    ctest --preset debug --output-on-failure
    if have_libfuzzer; then
      cmake --preset fuzz >/dev/null
      cmake --build --preset fuzz --target fuzz_targets -j "$(jobs)"
      ctest --test-dir build/fuzz -L fuzz --output-on-failure
    else
      echo "dev.sh: clang with libFuzzer not found; fuzz smoke runs skipped" >&2
    fi
    ;;
  *)
    echo "usage: share/scripts/dev.sh demo|test" >&2
    exit 64
    ;;
esac
