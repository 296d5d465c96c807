#!/bin/sh
# What the platform needs from the system, beyond Python packages:
#   run   a CJK font for the certificates (fonts-noto-cjk)
#   test  the same, plus Chromium for the browser tests and poppler-utils (pdftoppm) for the PDF checks
# Missing packages are installed with apt-get when running as root; otherwise this names them and fails,
# so `make run` / `make test` stop at once instead of failing later in a certificate or a browser test.
set -eu

missing=""
need() {  # need PACKAGE COMMAND...: PACKAGE is missing unless COMMAND succeeds
    package=$1
    shift
    "$@" >/dev/null 2>&1 || missing="$missing $package"
}

need fonts-noto-cjk sh -c 'ls /usr/share/fonts/opentype/noto/Noto*CJK-Regular.ttc'
if [ "${1:-run}" = test ]; then
    need chromium test -x /usr/bin/chromium
    need poppler-utils sh -c 'command -v pdftoppm'
fi
[ -z "$missing" ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing system packages:$missing"
    apt-get update -qq
    # shellcheck disable=SC2086 # one word per package
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
    exit 0
fi
echo "missing system packages:$missing" >&2
echo "install them first, e.g. on Debian or Ubuntu: sudo apt-get install$missing" >&2
exit 1
