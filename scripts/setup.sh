#!/usr/bin/env bash
# Installs what GovMail needs on a Debian/Ubuntu machine: Debian packages (as root), npm packages, the build.
# Usage: bash scripts/setup.sh [--test]   (--test adds what only the test suite needs)
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(postgresql dovecot-imapd dovecot-lmtpd dovecot-pgsql dovecot-sieve dovecot-managesieved dovecot-pop3d openssl rspamd dovecot-fts-xapian poppler-utils catdoc unzip radicale fonts-dejavu-core)
if [[ "${1:-}" == "--test" ]]; then
  packages+=(libnss3-tools swaks libnet-ssleay-perl libio-socket-ssl-perl gpgsm chromium python3 python3-caldav curl prometheus clamav-daemon zip)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "Thiếu gói / missing Debian packages: ${missing[*]} — run as root or: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
  echo "Cài đặt / installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Packaged daemons need not start on install: GovMail runs its own instances on other ports.
  made_policy=""
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && made_policy=1
  fi
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
  if [[ -n "$made_policy" ]]; then rm -f /usr/sbin/policy-rc.d; fi
fi

if [[ ! -d node_modules ]] || [[ package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --no-audit --no-fund
fi
npm run build --silent
