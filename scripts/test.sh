#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# THE test command of dhcpd-rs (CI runs it through .ci/run). Works from any directory:
#
#   bash scripts/test.sh
#
# Steps: install the test tools (scripts/install-test-deps.sh), find the shared corpus,
# check the crate dependencies against docs/architecture.md (scripts/check-architecture.sh),
# cargo fmt --check, cargo clippy -D warnings, cargo build --release, cargo test --workspace,
# the RPM build and install test (packaging/rpm/test-install.sh), then a summary. Exits
# non-zero if any step failed.
#
# Environment it reads:
#   DHCPD_RS_CORPUS   the corpus directory (default: ../shared/corpus beside the repository)
#   CARGO_TARGET_DIR  as cargo does (default: target/ in the repository)
# Environment it gives the tests (all absolute paths):
#   DHCPD_RS_CORPUS   the corpus directory
#   DHCPD_RS_BIN      target/release/dhcpd, our server binary
#   ISC_DHCPD         /usr/sbin/dhcpd, the oracle, only when it exists. Tests that need the
#                     oracle must say plainly that they did not run when it is unset.
set -uo pipefail

caller_pwd=$PWD
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P) || exit 1
cd "$ROOT" || exit 1

bold=''
reset=''
if [ -t 1 ]; then
    bold=$(printf '\033[1m')
    reset=$(printf '\033[0m')
fi
banner() { printf '\n%s==> %s%s\n' "$bold" "$*" "$reset"; }
fatal() {
    printf '\n%stest.sh: FATAL: %s%s\n' "$bold" "$*" "$reset" >&2
    exit 1
}

# Step results, in order, for the summary.
names=()
verdicts=()
durations=()
failed=0
record() { # name verdict seconds
    names+=("$1")
    verdicts+=("$2")
    durations+=("$3")
    [ "$2" = FAIL ] && failed=1
    return 0
}
run_step() { # name command...
    local name=$1 start rc
    shift
    banner "$name: $*"
    start=$SECONDS
    "$@"
    rc=$?
    if [ $rc -eq 0 ]; then
        record "$name" PASS $((SECONDS - start))
    else
        printf '%s-- %s failed (exit %d)%s\n' "$bold" "$name" "$rc" "$reset"
        record "$name" FAIL $((SECONDS - start))
    fi
    return $rc
}

# 1. Tools. Also puts ~/.cargo/bin on PATH when cargo is only there.
if ! command -v cargo >/dev/null 2>&1 && [ -x "${CARGO_HOME:-${HOME:-}/.cargo}/bin/cargo" ]; then
    export PATH="${CARGO_HOME:-${HOME:-}/.cargo}/bin:$PATH"
fi
run_step deps bash "$ROOT/scripts/install-test-deps.sh" ||
    fatal "installing the test dependencies failed (see above)"

# 2. Corpus.
corpus=${DHCPD_RS_CORPUS:-}
if [ -z "$corpus" ]; then
    corpus="$ROOT/../shared/corpus"
elif [ "${corpus#/}" = "$corpus" ]; then
    corpus="$caller_pwd/$corpus"
fi
if [ ! -d "$corpus" ]; then
    fatal "corpus not found at $corpus
  It is shared/corpus from the project's shared material, expected beside the repository
  (../shared/corpus) or wherever DHCPD_RS_CORPUS points."
fi
DHCPD_RS_CORPUS=$(cd "$corpus" && pwd -P)
export DHCPD_RS_CORPUS
for sub in conf leases pcap; do
    [ -d "$DHCPD_RS_CORPUS/$sub" ] || fatal "corpus at $DHCPD_RS_CORPUS has no $sub/ directory"
done
record corpus PASS 0

target_dir=${CARGO_TARGET_DIR:-$ROOT/target}
[ "${target_dir#/}" = "$target_dir" ] && target_dir="$ROOT/$target_dir"
export DHCPD_RS_BIN="$target_dir/release/dhcpd"
if [ -x /usr/sbin/dhcpd ]; then
    export ISC_DHCPD=/usr/sbin/dhcpd
    oracle="ISC dhcpd at $ISC_DHCPD ($($ISC_DHCPD --version 2>&1 | head -n 1))"
else
    unset ISC_DHCPD
    oracle="ISC dhcpd NOT available (/usr/sbin/dhcpd missing): oracle tests did NOT run"
fi
export RUST_BACKTRACE=${RUST_BACKTRACE:-1}

banner "environment"
printf '  repository       %s\n' "$ROOT"
printf '  DHCPD_RS_CORPUS  %s\n' "$DHCPD_RS_CORPUS"
printf '  DHCPD_RS_BIN     %s\n' "$DHCPD_RS_BIN"
printf '  ISC_DHCPD        %s\n' "${ISC_DHCPD:-(unset)}"
printf '  toolchain        %s\n' "$(rustc --version 2>/dev/null)"

# 3. Lints: all run even if one fails, so one run shows everything.
run_step arch bash "$ROOT/scripts/check-architecture.sh"
run_step fmt cargo fmt --all -- --check
run_step clippy cargo clippy --workspace --all-targets -- -D warnings

# 4. Build the release binary the integration tests run.
# shellcheck disable=SC2317  # called through run_step
build_release() {
    cargo build --release || return $?
    if [ ! -x "$DHCPD_RS_BIN" ]; then
        echo "cargo build --release succeeded but did not produce $DHCPD_RS_BIN (is crates/dhcpd missing?)" >&2
        return 1
    fi
}
build_ok=1
run_step build build_release || build_ok=0

# 5. Tests.
test_log=$(mktemp "${TMPDIR:-/tmp}/dhcpd-rs-test.XXXXXX")
trap 'rm -f "$test_log"' EXIT
# shellcheck disable=SC2317  # called through run_step
run_tests() { cargo test --workspace --no-fail-fast 2>&1 | tee "$test_log"; }
if [ $build_ok -eq 1 ]; then
    run_step test run_tests
else
    banner "test: skipped, the release build failed"
    record test SKIP 0
fi

# 6. The RPM: build it, lint it, install it with dnf into throw-away roots (needs root).
run_step rpm bash "$ROOT/packaging/rpm/test-install.sh"

# Count what cargo test ran: its "test result:" lines (unit, integration and doc tests).
passed=0
failed_tests=0
ignored=0
while read -r p f i; do
    passed=$((passed + p))
    failed_tests=$((failed_tests + f))
    ignored=$((ignored + i))
done < <(sed -n 's/^test result: [A-Za-z]*\. \([0-9]*\) passed; \([0-9]*\) failed; \([0-9]*\) ignored.*/\1 \2 \3/p' "$test_log")

# 7. Summary.
banner "summary"
for idx in "${!names[@]}"; do
    printf '  %-8s %-5s %4ss\n' "${names[$idx]}" "${verdicts[$idx]}" "${durations[$idx]}"
done
printf '  oracle: %s\n' "$oracle"
if [ $build_ok -eq 1 ] && [ "$passed" -eq 0 ] && [ "$failed_tests" -eq 0 ]; then
    echo "  WARNING: cargo test ran no test at all"
fi
echo
if [ $failed -ne 0 ]; then
    echo "RESULT: FAIL"
else
    echo "RESULT: PASS"
fi
# Last line, in the plain form CI reads: what cargo test counted (ignored tests as skipped).
echo "tests: $passed passed, $failed_tests failed, $ignored skipped"
exit $failed
