#!/usr/bin/env bash
# Debian packages the portal needs: CJK fonts (pages, PDFs), chromium (browser tests), poppler (PDF checks),
# harfbuzz-subset and pango (WeasyPrint), LibreOffice (office materials to PDF, checks of our docx/xlsx). Installs only what is missing.
set -euo pipefail
PACKAGES="fonts-noto-cjk fonts-arphic-ukai chromium poppler-utils libharfbuzz-subset0 libpango-1.0-0 libpangoft2-1.0-0 libreoffice-writer-nogui libreoffice-calc-nogui"
missing=""
for p in $PACKAGES; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "installing Debian packages:$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
