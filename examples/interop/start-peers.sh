#!/usr/bin/env bash
# Installs and starts every real peer the interop tests use (Dovecot, dnsmasq, ...), on
# 127.0.0.1 high ports, by running each examples/interop/ci-*.sh in turn. Needs root (apt-get).
# The peers write KEY=VALUE lines to $MAILSANSIO_PEERS_ENV (default /tmp/mailsansio-peers.env);
# the interop tests (#[ignore]d until asked for with `-- --ignored`) read that file and fail
# when a peer is missing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export MAILSANSIO_PEERS_ENV=${MAILSANSIO_PEERS_ENV:-/tmp/mailsansio-peers.env}
: > "$MAILSANSIO_PEERS_ENV"
if [ -z "${MAILSANSIO_APT_UPDATED:-}" ] && command -v apt-get >/dev/null; then
    apt-get update -qq
    export MAILSANSIO_APT_UPDATED=1
fi
shopt -s nullglob
for script in "$here"/ci-*.sh; do
    echo "== starting peer: $(basename "$script")"
    bash "$script"
done
echo "== peers: $MAILSANSIO_PEERS_ENV"
cat "$MAILSANSIO_PEERS_ENV"
