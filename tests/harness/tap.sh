# SPDX-License-Identifier: GPL-2.0
# TAP lines for the host-side checks of tests/harness/ (scripts/test.sh counts them).
ok() { printf 'ok - %s\n' "$1"; }
skip() { printf 'ok - %s # SKIP %s\n' "$1" "$2"; }
not_ok() { printf 'not ok - %s: %s\n' "$1" "$2"; }
