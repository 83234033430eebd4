#!/bin/sh
# Make sure Debian's Chromium and its WebDriver exist for tests/test_site_browser.py
# (which must not be skipped in CI): /usr/bin/chromium and /usr/bin/chromedriver from the
# `chromium` and `chromium-driver` packages. Browser downloads at install time (Selenium
# Manager, webdriver-manager) do not work on these machines, so the test never uses them.
# Installs the packages when missing and we are root on Debian/Ubuntu; otherwise says
# what to do. Idempotent and quiet when present.
set -eu
# Fonts for the five UI languages and emoji make the screenshot readable (not needed
# for the test to pass).
if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ] && \
   [ -d /usr/share/fonts/opentype/noto ]; then
    exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "ensure_browser: installing chromium + chromium-driver (for the site's browser test)" >&2
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        chromium chromium-driver fonts-noto-cjk fonts-noto-color-emoji >/dev/null
    exit 0
fi
echo "ensure_browser: /usr/bin/chromium or /usr/bin/chromedriver is missing; install the" \
     "'chromium' and 'chromium-driver' packages (e.g. sudo apt-get install -y chromium" \
     "chromium-driver) to run tests/test_site_browser.py" >&2
exit 1
