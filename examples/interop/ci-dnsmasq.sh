#!/usr/bin/env bash
# Starts dnsmasq on 127.0.0.1:25353 serving the MX test zone in dnsmasq/mx-test.conf, for
# examples/tests/mx_lookup_dnsmasq.rs. Writes MAILSANSIO_DNSMASQ=127.0.0.1:25353 to the peers
# env file. Needs root for apt-get; dnsmasq itself runs unprivileged on a high port.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
env_file=${MAILSANSIO_PEERS_ENV:-/tmp/mailsansio-peers.env}
port=25353
pid_file=${TMPDIR:-/tmp}/mailsansio-dnsmasq.pid

if ! command -v dnsmasq >/dev/null 2>&1 && ! [ -x /usr/sbin/dnsmasq ]; then
    if [ -z "${MAILSANSIO_APT_UPDATED:-}" ]; then
        apt-get update -qq
    fi
    # dnsmasq-base: the binary without a system service grabbing port 53.
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dnsmasq-base >/dev/null
fi
dnsmasq=$(command -v dnsmasq || echo /usr/sbin/dnsmasq)

# Stop a dnsmasq this script started earlier.
if [ -s "$pid_file" ] && kill -0 "$(cat "$pid_file")" 2>/dev/null; then
    kill "$(cat "$pid_file")" || true
    sleep 0.5
fi

"$dnsmasq" --no-resolv --no-hosts --conf-file="$here/dnsmasq/mx-test.conf" \
    --port="$port" --listen-address=127.0.0.1 --bind-interfaces \
    --pid-file="$pid_file" --user="$(id -un)" --group="$(id -gn)"

# Wait until it answers.
for _ in $(seq 1 50); do
    if [ -s "$pid_file" ] && kill -0 "$(cat "$pid_file")" 2>/dev/null; then
        echo "MAILSANSIO_DNSMASQ=127.0.0.1:$port" >> "$env_file"
        echo "dnsmasq running on 127.0.0.1:$port (pid $(cat "$pid_file"))"
        exit 0
    fi
    sleep 0.1
done
echo "dnsmasq did not start" >&2
exit 1
