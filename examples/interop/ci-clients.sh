#!/usr/bin/env bash
# Installs the client tools the mailserver tests drive (python3 for smtplib/poplib/imaplib and
# the adversarial scripts, curl), so examples/tests can run them with `-- --ignored`.
# Writes MAILSANSIO_CLIENT_TOOLS to the peers env file ($MAILSANSIO_PEERS_ENV, default
# /tmp/mailsansio-peers.env). Needs root (apt-get). Idempotent.
set -euo pipefail

env_file=${MAILSANSIO_PEERS_ENV:-/tmp/mailsansio-peers.env}

log() { printf 'ci-clients: %s\n' "$*" >&2; }
# shellcheck source=examples/interop/packages.sh
. "$(dirname "$0")/packages.sh"
# shellcheck source=examples/interop/peer-lib.sh
. "$(dirname "$0")/peer-lib.sh"

missing=()
command -v python3 >/dev/null || missing+=(python3)
command -v curl >/dev/null || missing+=(curl)
if [ ${#missing[@]} -gt 0 ]; then
    install_packages "${missing[@]}"
fi

set_peer_env MAILSANSIO_CLIENT_TOOLS= "MAILSANSIO_CLIENT_TOOLS=python3 curl"
log "$(python3 --version) and $(curl --version | head -n1)"

