#!/usr/bin/env bash
# Installs the real IMAP clients that examples/tests/mailserver_imap_clients.rs drives against
# `mailserver` (and that imap-proto's Dovecot peer can serve too): Debian's isync (mbsync),
# offlineimap3, fetchmail and neomutt, plus util-linux's `script` for neomutt's terminal.
# No daemon is started: the tests run each client once per check, with a private HOME.
# Writes MAILSANSIO_IMAP_CLIENTS (the commands found) to the peers env file
# ($MAILSANSIO_PEERS_ENV, default /tmp/mailsansio-peers.env). Needs root (apt-get).
# Idempotent: packages already installed are kept.
set -euo pipefail

env_file=${MAILSANSIO_PEERS_ENV:-/tmp/mailsansio-peers.env}

log() { printf 'ci-imap-clients: %s\n' "$*" >&2; }
# shellcheck source=examples/interop/packages.sh
. "$(dirname "$0")/packages.sh"
# shellcheck source=examples/interop/peer-lib.sh
. "$(dirname "$0")/peer-lib.sh"

install_packages isync offlineimap3 fetchmail neomutt bsdutils

commands="mbsync offlineimap fetchmail neomutt script"
for c in $commands; do
    command -v "$c" >/dev/null || { log "$c missing after the install"; exit 1; }
done

set_peer_env MAILSANSIO_IMAP_CLIENTS= "MAILSANSIO_IMAP_CLIENTS=$commands"
log "$(mbsync --version), offlineimap $(offlineimap --version), $(neomutt -v | head -n1)"
