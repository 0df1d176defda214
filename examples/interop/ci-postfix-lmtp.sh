#!/usr/bin/env bash
# Starts the peer that examples/tests/lmtp_postfix.rs needs: a throwaway Postfix in front of
# `mailserver --lmtp-port`, the Postfix + Dovecot architecture with mailserver in Dovecot's
# seat. Postfix takes SMTP on 127.0.0.1 (port 25026 by default, STARTTLS offered) for the
# domain lmtp.test and hands every message to 127.0.0.1:24025 over LMTP, where the test
# starts mailserver; the test reads Postfix's log for the per-recipient results.
# Nothing can leave the machine: every other transport is an error.
# Writes MAILSANSIO_LMTP_POSTFIX_SMTP, _DOMAIN, _LMTP (where mailserver must listen), _LOG
# and _CA to the peers env file ($MAILSANSIO_PEERS_ENV, default /tmp/mailsansio-peers.env).
# Needs root. Idempotent. A separate instance from ci-mailserver.sh's Postfix: its own
# directory, ports, log and variables.
set -euo pipefail

env_file=${MAILSANSIO_PEERS_ENV:-/tmp/mailsansio-peers.env}
dir=${MAILSANSIO_LMTP_POSTFIX_DIR:-${TMPDIR:-/tmp}/mailsansio-postfix-lmtp}
port=${MAILSANSIO_LMTP_POSTFIX_PORT:-25026}
lmtp_port=${MAILSANSIO_LMTP_POSTFIX_LMTP_PORT:-24025}
domain=lmtp.test
host=front.$domain

log() { printf 'ci-postfix-lmtp: %s\n' "$*" >&2; }
# shellcheck source=examples/interop/packages.sh
. "$(dirname "$0")/packages.sh"
# shellcheck source=examples/interop/peer-lib.sh
. "$(dirname "$0")/peer-lib.sh"

# --- packages: Postfix without a system configuration, no daemon started by apt ----------
echo 'postfix postfix/main_mailer_type select No configuration' | debconf-set-selections
install_packages postfix openssl

conf=$dir/conf
# --- stop an earlier instance ---------------------------------------------------------------
stop_postfix "$dir" "$conf"
rm -rf "$dir"
mkdir -p "$conf" "$dir/queue" "$dir/data" "$dir/tls"
chmod 755 "$dir"
chown postfix "$dir/data"

# --- a self-signed end-entity certificate (smtp-send trusts it directly with --ca) ----------
self_signed_cert "$dir/tls" "$host" "DNS:$host,DNS:localhost,IP:127.0.0.1"

# --- configuration: the domain goes to mailserver by LMTP, nothing else -----------------------
# The README's "Using it with Postfix or Dovecot" shows the two lines that matter:
# virtual_mailbox_domains and virtual_transport. virtual_mailbox_maps is left empty so that
# Postfix accepts every address of the domain and mailserver decides (550 5.1.1 for an
# unknown user); a real set-up lists the users there so Postfix refuses them at RCPT.
{
    postfix_main_cf "$dir" "$host"
    cat <<CONF
syslog_name = postfix-lmtp
virtual_mailbox_domains = $domain
virtual_mailbox_maps =
virtual_transport = lmtp:inet:127.0.0.1:$lmtp_port
smtpd_tls_security_level = may
smtpd_tls_chain_files = $dir/tls/key.pem, $dir/tls/cert.pem
smtpd_tls_received_header = yes
# Bounces to the test's senders go nowhere (error transport); keep the queue short.
bounce_queue_lifetime = 0
CONF
} > "$conf/main.cf"
# The LMTP client, and TLS.
postfix_master_cf "$port" "lmtp unix - - n - - lmtp" \
    "tlsmgr unix - - n 1000? 1 tlsmgr" "proxywrite unix - - n - 1 proxymap" > "$conf/master.cf"
postfix_start "$dir" "$conf" "$conf/main.cf" "$conf/master.cf"
wait_for_ports "$dir/postfix.log" "$port"
log "postfix on 127.0.0.1:$port for @$domain, by LMTP to 127.0.0.1:$lmtp_port, log $dir/postfix.log"

set_peer_env MAILSANSIO_LMTP_POSTFIX_ \
    "MAILSANSIO_LMTP_POSTFIX_SMTP=127.0.0.1:$port" \
    "MAILSANSIO_LMTP_POSTFIX_DOMAIN=$domain" \
    "MAILSANSIO_LMTP_POSTFIX_LMTP=127.0.0.1:$lmtp_port" \
    "MAILSANSIO_LMTP_POSTFIX_LOG=$dir/postfix.log" \
    "MAILSANSIO_LMTP_POSTFIX_CA=$dir/tls/cert.pem"
grep '^MAILSANSIO_LMTP_POSTFIX' "$env_file"
