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
# shellcheck source=examples/interop/peer-lib.sh
. "$(dirname "$0")/peer-lib.sh"

install_packages fail2ban
regex=$(command -v fail2ban-regex || echo /usr/bin/fail2ban-regex)
"$regex" --version >/dev/null

set_peer_env MAILSANSIO_FAIL2BAN_REGEX= "MAILSANSIO_FAIL2BAN_REGEX=$regex"
log "$("$regex" --version | head -n1)"
