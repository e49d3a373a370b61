#!/usr/bin/env bash
# The two things a developer or CI does on a fresh Debian 12 machine:
#   tools/dev.sh demo   install what is missing, build, run the main job on an embedded default
#   tools/dev.sh test   install what is missing, build, pass the whole test suite
#                       (normal build, then an ASan+UBSan build, then a bounded fuzz run)
# Must run as root or with sudo available (apt-get, and the tests start sshd).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
jobs=$(nproc)

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

install_dependencies() {
    local wanted missing=()
    mapfile -t wanted < <(grep -v '^\s*\(#\|$\)' tools/debian-packages.txt)
    for pkg in "${wanted[@]}"; do
        dpkg-query -W -f='${db:Status-Abbrev}' "$pkg" 2>/dev/null | grep -q '^ii' || missing+=("$pkg")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        echo "== installing: ${missing[*]}"
        as_root apt-get update -qq
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
    fi
}

# configure_and_build DIR [cmake args...]
configure_and_build() {
    local dir=$1
    shift
    cmake -S . -B "$dir" -G Ninja -DOFFSTAGE_WERROR=ON "$@" >/dev/null
    cmake --build "$dir" -j "$jobs"
}

run_tests() {
    local dir=$1
    shift
    ctest --test-dir "$dir" --output-on-failure -j "$jobs" "$@"
}

case "${1:-}" in
demo)
    install_dependencies
    configure_and_build build -DCMAKE_BUILD_TYPE=RelWithDebInfo
    exec tools/demo.sh build
    ;;
test)
    install_dependencies
    echo "== build (RelWithDebInfo, gcc)"
    configure_and_build build -DCMAKE_BUILD_TYPE=RelWithDebInfo
    run_tests build
    echo "== build (ASan+UBSan, clang)"
    configure_and_build build-asan -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_COMPILER=clang++ \
        -DOFFSTAGE_SANITIZE=ON
    # The fresh-system test builds a Debian root with debootstrap; the sanitized
    # build runs everything else (the code it drives is covered by other tests).
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        run_tests build-asan -LE 'fresh-system|fuzz'
    echo "== fuzz (libFuzzer, clang, bounded)"
    configure_and_build build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
        -DOFFSTAGE_FUZZ=ON
    run_tests build-fuzz -L fuzz
    ;;
*)
    echo "usage: tools/dev.sh demo|test" >&2
    exit 2
    ;;
esac
