#!/usr/bin/env bash
# Starts the peer that examples/tests/relay_postfix.rs needs: a throwaway Postfix smtpd on
# 127.0.0.1 (SMTP with STARTTLS offered, port 25025 by default) that accepts mail for the
# domain b.test only and delivers it into one Maildir (user carol). mailserver relays to it
# by MX lookup (the test's stub DNS says b.test's MX is 127.0.0.1) and the test reads the
# Maildir. Nothing can leave the machine: every other transport is an error.
# Writes MAILSANSIO_POSTFIX_SMTP, _DOMAIN, _MAILDIR and _CA (its self-signed certificate,
# for mx.b.test) to the peers env file
# ($MAILSANSIO_PEERS_ENV, default /tmp/mailsansio-peers.env). Needs root. Idempotent.
# The mailserver's own tests (Python, curl) start the binary themselves and need no script.
set -euo pipefail

env_file=${MAILSANSIO_PEERS_ENV:-/tmp/mailsansio-peers.env}
dir=${MAILSANSIO_POSTFIX_DIR:-${TMPDIR:-/tmp}/mailsansio-postfix}
port=${MAILSANSIO_POSTFIX_PORT:-25025}
domain=b.test
mailbox=carol
os_user=mailsansio

log() { printf 'ci-mailserver: %s\n' "$*" >&2; }
# shellcheck source=examples/interop/packages.sh
. "$(dirname "$0")/packages.sh"
# shellcheck source=examples/interop/peer-lib.sh
. "$(dirname "$0")/peer-lib.sh"

# --- packages: Postfix without a system configuration, no daemon started by apt ----------
echo 'postfix postfix/main_mailer_type select No configuration' | debconf-set-selections
install_packages postfix openssl
# examples/tests/relay_postfix.rs runs the fake DNS examples/interop/mailserver/fake_dns.py.
command -v python3 >/dev/null || install_packages python3

conf=$dir/conf
# --- stop an earlier instance ---------------------------------------------------------------
stop_postfix "$dir" "$conf"
rm -rf "$dir"
mkdir -p "$conf" "$dir/queue" "$dir/data" "$dir/mail" "$dir/tls"
chmod 755 "$dir"

system_account "$os_user"
chown "$uid:$gid" "$dir/mail"
chown postfix "$dir/data"

# --- a self-signed end-entity certificate for the MX name (clients trust it directly) ----------------------------------------------
self_signed_cert "$dir/tls" "mx.$domain" "DNS:mx.$domain,IP:127.0.0.1"

# --- configuration: one virtual domain into one Maildir, nothing else ---------------------
printf '@%s %s/Maildir/\n' "$domain" "$mailbox" > "$conf/vmailbox"
{
    postfix_main_cf "$dir" "mx.$domain"
    cat <<CONF
virtual_mailbox_domains = $domain
virtual_mailbox_maps = texthash:$conf/vmailbox
virtual_mailbox_base = $dir/mail
virtual_uid_maps = static:$uid
virtual_gid_maps = static:$gid
virtual_minimum_uid = $uid
smtpd_tls_security_level = may
smtpd_tls_chain_files = $dir/tls/key.pem, $dir/tls/cert.pem
smtpd_tls_received_header = yes
CONF
} > "$conf/main.cf"
# Local Maildir delivery, and TLS.
postfix_master_cf "$port" "virtual unix - n n - - virtual" \
    "tlsmgr unix - - n 1000? 1 tlsmgr" "proxywrite unix - - n - 1 proxymap" > "$conf/master.cf"
postfix_start "$dir" "$conf" "$conf/main.cf" "$conf/master.cf" "$conf/vmailbox"
wait_for_ports "$dir/postfix.log" "$port"
log "postfix on 127.0.0.1:$port for @$domain, log $dir/postfix.log"

set_peer_env MAILSANSIO_POSTFIX_ \
    "MAILSANSIO_POSTFIX_SMTP=127.0.0.1:$port" \
    "MAILSANSIO_POSTFIX_DOMAIN=$domain" \
    "MAILSANSIO_POSTFIX_MAILDIR=$dir/mail/$mailbox/Maildir" \
    "MAILSANSIO_POSTFIX_CA=$dir/tls/cert.pem"
grep '^MAILSANSIO_POSTFIX' "$env_file"
