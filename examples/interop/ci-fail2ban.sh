#!/usr/bin/env bash
# Installs Debian's fail2ban for its fail2ban-regex, which examples/tests/mailserver_fail2ban.rs
# runs with examples/fail2ban/filter.d/mailserver.conf over a log the mailserver wrote. No
# daemon is started (packages.sh keeps the package's service from starting). Writes
# MAILSANSIO_FAIL2BAN_REGEX to the peers env file ($MAILSANSIO_PEERS_ENV, default
# /tmp/mailsansio-peers.env). Needs root (apt-get). Idempotent.
set -euo pipefail

env_file=${MAILSANSIO_PEERS_ENV:-/tmp/mailsansio-peers.env}

log() { printf 'ci-fail2ban: %s\n' "$*" >&2; }
# shellcheck source=examples/interop/packages.sh
. "$(dirname "$0")/packages.sh"

install_packages fail2ban
regex=$(command -v fail2ban-regex || echo /usr/bin/fail2ban-regex)
"$regex" --version >/dev/null

touch "$env_file"
tmp=$(mktemp)
grep -v -e '^MAILSANSIO_FAIL2BAN_REGEX=' "$env_file" > "$tmp" || true
{
    cat "$tmp"
    echo "MAILSANSIO_FAIL2BAN_REGEX=$regex"
} > "$env_file"
rm -f "$tmp"
log "$("$regex" --version | head -n1)"
