#!/usr/bin/env bash
# Starts a throwaway Dovecot IMAP server on 127.0.0.1 for imap-proto/tests/dovecot_interop.rs:
#   IMAP with STARTTLS on 21143, IMAPS (implicit TLS) on 21993, user test / secret (LOGIN,
#   AUTHENTICATE PLAIN and SCRAM-SHA-256: Dovecot derives the SCRAM keys from the plaintext
#   passdb entry), a Maildir seeded with a plain and a multipart message, the special-use
#   folders, CONDSTORE/QRESYNC (Dovecot's defaults), a CA and a server certificate made with
#   openssl.
# Writes MAILSANSIO_DOVECOT_IMAP, _IMAPS, _IMAP_CA, _IMAP_USER, _IMAP_PASS (and
# MAILSANSIO_DOVECOT_CA unless another peer set it) to the peers env file
# ($MAILSANSIO_PEERS_ENV, default /tmp/mailsansio-peers.env). Needs root (apt-get, useradd);
# Dovecot drops to its own users. Idempotent: a running instance is stopped and restarted
# with a freshly seeded Maildir. Runs beside ci-dovecot.sh (POP3): its own instance name,
# base, state and mail directories, ports and certificate.
set -euo pipefail

env_file=${MAILSANSIO_PEERS_ENV:-/tmp/mailsansio-peers.env}
dir=${MAILSANSIO_DOVECOT_IMAP_DIR:-${TMPDIR:-/tmp}/mailsansio-dovecot-imap}
imap_port=${MAILSANSIO_DOVECOT_IMAP_PORT:-21143}
imaps_port=${MAILSANSIO_DOVECOT_IMAPS_PORT:-21993}
user=test
pass=secret
os_user=mailsansio

log() { printf 'ci-dovecot-imap: %s\n' "$*" >&2; }
# shellcheck source=examples/interop/packages.sh
. "$(dirname "$0")/packages.sh"

# --- packages ------------------------------------------------------------------------------
install_packages dovecot-core dovecot-imapd openssl

# --- stop an earlier instance ---------------------------------------------------------------
pid_file=$dir/run/master.pid
if [ -s "$pid_file" ]; then
    pid=$(head -n1 "$pid_file" | tr -dc 0-9)
    if [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = dovecot ]; then
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    fi
fi
rm -rf "$dir"
mkdir -p "$dir/run" "$dir/state" "$dir/tls"
chmod 755 "$dir"

# --- system account owning the Maildir -----------------------------------------------------
id -u "$os_user" >/dev/null 2>&1 ||
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$os_user"
uid=$(id -u "$os_user")
gid=$(id -g "$os_user")

# --- TLS: a CA and a certificate for localhost / 127.0.0.1 ----------------------------------
tls=$dir/tls
cat > "$tls/openssl.cnf" <<'EOF'
[req]
distinguished_name = dn
prompt = no
[dn]
CN = mail-sansio imap interop CA
[v3_ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[v3_server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
key="-newkey ec -pkeyopt ec_paramgen_curve:prime256v1"
# shellcheck disable=SC2086
openssl req -x509 -config "$tls/openssl.cnf" -extensions v3_ca $key -nodes -days 3650 \
    -keyout "$tls/ca.key" -out "$tls/ca.pem" 2>/dev/null
# shellcheck disable=SC2086
openssl req -new -config "$tls/openssl.cnf" -subj /CN=localhost $key -nodes \
    -keyout "$tls/server.key" -out "$tls/server.csr" 2>/dev/null
openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca.key" -set_serial 2 \
    -days 3650 -extfile "$tls/openssl.cnf" -extensions v3_server -out "$tls/server.pem" 2>/dev/null
chmod 644 "$tls"/*.pem
chmod 600 "$tls"/*.key

# --- Maildir: a plain message and a multipart one (for BODYSTRUCTURE) ----------------------
home=$dir/mail/$user
md=$home/Maildir
mkdir -p "$md/cur" "$md/new" "$md/tmp"
crlf() { sed 's/$/\r/'; }
{
    printf 'From: Alice <alice@example.test>\nTo: Test <test@example.test>\n'
    printf 'Subject: plain\nDate: Mon, 01 Jan 2024 10:01:00 +0000\n'
    printf 'Message-ID: <imapseed1@example.test>\n\nHello from the first message.\n'
} | crlf > "$md/cur/1704103201.imapseed1.host:2,S"
{
    printf 'From: Bob <bob@example.test>\nTo: Test <test@example.test>\n'
    printf 'Subject: multipart\nDate: Mon, 01 Jan 2024 10:02:00 +0000\n'
    printf 'Message-ID: <imapseed2@example.test>\nMIME-Version: 1.0\n'
    printf 'Content-Type: multipart/mixed; boundary="b1"\n\n'
    printf -- '--b1\nContent-Type: text/plain; charset=utf-8\n\nThe text part.\n'
    printf -- '--b1\nContent-Type: application/octet-stream; name="a.bin"\n'
    printf 'Content-Transfer-Encoding: base64\nContent-Disposition: attachment; filename="a.bin"\n\n'
    printf 'AAECAwQFBgcICQ==\n--b1--\n'
} | crlf > "$md/cur/1704103202.imapseed2.host:2,"
chown -R "$uid:$gid" "$dir/mail"
chmod 700 "$home"

# --- Dovecot --------------------------------------------------------------------------------
printf '%s:{PLAIN}%s\n' "$user" "$pass" > "$dir/passwd"
chown root:dovecot "$dir/passwd"
chmod 640 "$dir/passwd"
dh=
[ -s /usr/share/dovecot/dh.pem ] && dh="ssl_dh = </usr/share/dovecot/dh.pem"

cat > "$dir/dovecot.conf" <<EOF
# Generated by ci-dovecot-imap.sh: throwaway IMAP test instance, loopback only.
instance_name = mailsansio-imap
base_dir = $dir/run
state_dir = $dir/state
log_path = $dir/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <$tls/server.pem
ssl_key = <$tls/server.key
ssl_min_protocol = TLSv1.2
$dh
disable_plaintext_auth = yes
auth_mechanisms = plain login scram-sha-256
auth_failure_delay = 0 secs
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $dir/passwd
}
userdb {
  driver = static
  args = uid=$uid gid=$gid home=$dir/mail/%u
}
first_valid_uid = $uid
last_valid_uid = $uid
mail_location = maildir:~/Maildir
namespace inbox {
  inbox = yes
  separator = /
  mailbox Drafts {
    special_use = \Drafts
    auto = subscribe
  }
  mailbox Sent {
    special_use = \Sent
    auto = subscribe
  }
  mailbox Trash {
    special_use = \Trash
    auto = subscribe
  }
}
protocol imap {
  mail_max_userip_connections = 100
  imap_idle_notify_interval = 2 mins
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $imap_port
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $imaps_port
    ssl = yes
  }
}
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
EOF
doveconf -c "$dir/dovecot.conf" -n >/dev/null
dovecot -c "$dir/dovecot.conf" </dev/null >/dev/null 2>"$dir/startup.err" || {
    cat "$dir/startup.err" >&2
    exit 1
}

listening() {
    if command -v ss >/dev/null 2>&1; then
        ss -Hltn "( sport = :$1 )" 2>/dev/null | grep -q 127.0.0.1
    else
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
    fi
}
for port in "$imap_port" "$imaps_port"; do
    n=0
    until listening "$port"; do
        n=$((n + 1))
        if [ $n -gt 400 ]; then
            log "port $port did not open"
            tail -n 20 "$dir/dovecot.log" >&2 || true
            exit 1
        fi
        sleep 0.05
    done
done
log "dovecot started (pid $(cat "$pid_file")), log: $dir/dovecot.log"

# --- peers env file -------------------------------------------------------------------------
touch "$env_file"
tmp=$(mktemp)
grep -v -e '^MAILSANSIO_DOVECOT_IMAP' "$env_file" > "$tmp" || true
{
    cat "$tmp"
    echo "MAILSANSIO_DOVECOT_IMAP=127.0.0.1:$imap_port"
    echo "MAILSANSIO_DOVECOT_IMAPS=127.0.0.1:$imaps_port"
    echo "MAILSANSIO_DOVECOT_IMAP_CA=$tls/ca.pem"
    echo "MAILSANSIO_DOVECOT_IMAP_USER=$user"
    echo "MAILSANSIO_DOVECOT_IMAP_PASS=$pass"
    grep -q '^MAILSANSIO_DOVECOT_CA=' "$tmp" || echo "MAILSANSIO_DOVECOT_CA=$tls/ca.pem"
} > "$env_file"
rm -f "$tmp"
grep '^MAILSANSIO_DOVECOT_IMAP' "$env_file"
