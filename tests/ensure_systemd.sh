#!/bin/sh
# Make sure `systemd-analyze` exists for tests/test_systemd_unit.py (which must not be
# skipped in CI). Installs the systemd package when missing and we are root on a
# Debian/Ubuntu image; otherwise says what to do. Idempotent and quiet when present.
set -eu
if command -v systemd-analyze >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "ensure_systemd: installing systemd (for systemd-analyze verify)" >&2
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends systemd >/dev/null
    exit 0
fi
echo "ensure_systemd: systemd-analyze is missing; install the 'systemd' package" \
     "(e.g. sudo apt-get install -y systemd) to run tests/test_systemd_unit.py" >&2
exit 1
