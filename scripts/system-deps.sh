#!/usr/bin/env bash
# Install the Debian packages Nuanxin needs (fonts for PDFs, poppler, zbar, chromium for
# browser tests, gettext for translations, wrk for the load benchmarks). Skips what is
# present; says what is missing when apt is unavailable instead of failing silently.
set -euo pipefail
need=()
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
for pkg in fonts-noto-cjk fonts-wqy-microhei libharfbuzz-subset0 poppler-utils zbar-tools \
           chromium libnss3-tools gettext wrk; do
  have_pkg "$pkg" || need+=("$pkg")
done
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
  echo "system-deps: installing ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
else
  echo "system-deps: missing Debian packages: ${need[*]}" >&2
  echo "system-deps: install them with: sudo apt-get install ${need[*]}" >&2
  exit 1
fi
