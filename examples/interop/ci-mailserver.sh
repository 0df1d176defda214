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
cat > "$conf/main.cf" <<CONF
compatibility_level = 3.6
queue_directory = $dir/queue
data_directory = $dir/data
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
shlib_directory = /usr/lib/postfix
meta_directory = /etc/postfix
mail_owner = postfix
setgid_group = postdrop
maillog_file = $dir/postfix.log
# Postfix writes its own log only under an allowed prefix (default /var).
maillog_file_prefixes = $dir
myhostname = mx.$domain
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
biff = no
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
relay_domains =
local_transport = error:local delivery is off
default_transport = error:outbound mail is off
relay_transport = error:outbound mail is off
smtp_dns_support_level = disabled
smtpd_relay_restrictions = reject_unauth_destination
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
{
    printf '127.0.0.1:%s inet n - n - - smtpd\n' "$port"
    # The internal services a receiving, locally delivering Postfix needs.
    for svc in "pickup unix n - n 60 1 pickup" "cleanup unix n - n - 0 cleanup" \
        "qmgr unix n - n 300 1 qmgr" "tlsmgr unix - - n 1000? 1 tlsmgr" \
        "rewrite unix - - n - - trivial-rewrite" "bounce unix - - n - 0 bounce" \
        "defer unix - - n - 0 bounce" "trace unix - - n - 0 bounce" \
        "verify unix - - n - 1 verify" "flush unix n - n 1000? 0 flush" \
        "proxymap unix - - n - - proxymap" "proxywrite unix - - n - 1 proxymap" \
        "showq unix n - n - - showq" "error unix - - n - - error" \
        "retry unix - - n - - error" "discard unix - - n - - discard" \
        "virtual unix - n n - - virtual" "anvil unix - - n - 1 anvil" \
        "scache unix - - n - 1 scache" "postlog unix-dgram n - n - 1 postlogd"; do
        printf '%s\n' "$svc"
    done
} > "$conf/master.cf"
# Postfix holds off reading configuration files modified in the last seconds: backdate them.
touch -d "@$(( $(date +%s) - 10 ))" "$conf/main.cf" "$conf/master.cf" "$conf/vmailbox"

if ! postfix -c "$conf" start </dev/null >/dev/null 2>&1; then
    log "postfix failed to start:"
    tail -n 20 "$dir/postfix.log" >&2 || true
    exit 1
fi
wait_for_ports "$dir/postfix.log" "$port"
log "postfix on 127.0.0.1:$port for @$domain, log $dir/postfix.log"

set_peer_env MAILSANSIO_POSTFIX_ \
    "MAILSANSIO_POSTFIX_SMTP=127.0.0.1:$port" \
    "MAILSANSIO_POSTFIX_DOMAIN=$domain" \
    "MAILSANSIO_POSTFIX_MAILDIR=$dir/mail/$mailbox/Maildir" \
    "MAILSANSIO_POSTFIX_CA=$dir/tls/cert.pem"
grep '^MAILSANSIO_POSTFIX' "$env_file"
