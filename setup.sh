#!/usr/bin/env bash
# Sets up everything cosim needs on a bare Debian machine (run as root):
# ngspice + libngspice from Debian when missing, then the package with all extras.
set -euo pipefail
cd "$(dirname "$0")"
if ! command -v ngspice >/dev/null 2>&1 || ! ldconfig -p 2>/dev/null | grep -q libngspice.so.0; then
    echo "setup: installing ngspice and libngspice0 from Debian" >&2
    if [ "$(id -u)" = "0" ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq ngspice libngspice0 >/dev/null
fi
# headless Chromium renders `cosim report` pages in tests/test_report_html.py
if ! command -v chromium >/dev/null 2>&1; then
    echo "setup: installing chromium from Debian (report test)" >&2
    if [ "$(id -u)" = "0" ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi
python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore -e ".[all]"
# badcrossbar is the reference we compare against; --no-deps skips its cairo plotting stack.
python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore --no-deps "badcrossbar==1.1.*"
