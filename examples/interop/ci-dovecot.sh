#!/usr/bin/env bash
# Starts a throwaway Dovecot POP3 server on 127.0.0.1 for pop3-proto/tests/dovecot_interop.rs:
#   POP3 with STLS on 21110, POP3S (implicit TLS) on 21995, user test / secret,
#   a Maildir seeded with CRLF messages (lines starting with dots included), a CA and a
#   server certificate made with openssl.
# Writes MAILSANSIO_DOVECOT_POP3, _POP3S, _POP3_CA, _POP3_USER, _POP3_PASS,
# _POP3_MAILDIR (and MAILSANSIO_DOVECOT_CA unless another peer set it) to the peers env file
# ($MAILSANSIO_PEERS_ENV, default /tmp/mailsansio-peers.env). Needs root (apt-get, useradd);
# Dovecot drops to its own users. Idempotent: a running instance is stopped and restarted
# with a freshly seeded Maildir.
set -euo pipefail

env_file=${MAILSANSIO_PEERS_ENV:-/tmp/mailsansio-peers.env}
dir=${MAILSANSIO_DOVECOT_POP3_DIR:-${TMPDIR:-/tmp}/mailsansio-dovecot-pop3}
pop3_port=${MAILSANSIO_DOVECOT_POP3_PORT:-21110}
pop3s_port=${MAILSANSIO_DOVECOT_POP3S_PORT:-21995}
user=test
pass=secret
os_user=mailsansio

log() { printf 'ci-dovecot: %s\n' "$*" >&2; }

# --- packages ------------------------------------------------------------------------------
missing=
for pkg in dovecot-core dovecot-pop3d openssl; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q ' installed$' || missing="$missing $pkg"
done
if [ -n "$missing" ]; then
    log "installing:$missing"
    # Keep the packages' maintainer scripts from starting a system-wide Dovecot.
    policy_added=0
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        policy_added=1
    fi
    if [ -z "${MAILSANSIO_APT_UPDATED:-}" ]; then
        apt-get update -qq
    fi
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
    [ "$policy_added" = 1 ] && rm -f /usr/sbin/policy-rc.d
fi

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
CN = mail-sansio pop3 interop CA
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

# --- Maildir with CRLF messages (what RETR returns, byte for byte) --------------------------
home=$dir/mail/$user
md=$home/Maildir
mkdir -p "$md/cur" "$md/new" "$md/tmp"
crlf() { sed 's/$/\r/'; }
hdr() { # hdr N SUBJECT
    printf 'From: Alice <alice@example.test>\nTo: Test <test@example.test>\nSubject: %s\nDate: Mon, 01 Jan 2024 10:0%s:00 +0000\nMessage-ID: <pop3seed%s@example.test>\n' "$2" "$1" "$1"
}
{ hdr 1 'plain'; printf '\nHello from the first message.\nSecond line.\n'; } | crlf \
    > "$md/cur/1704103201.pop3seed1.host:2,S"
{ hdr 2 'dots'; printf '\nLines that start with dots:\n.\n.leading dot\n..two dots\n. \n...\nend\n'; } | crlf \
    > "$md/cur/1704103202.pop3seed2.host:2,"
{ hdr 3 'first body line is a dot'; printf '\n.\nafter the dot\n'; } | crlf \
    > "$md/cur/1704103203.pop3seed3.host:2,"
{ hdr 4 'large'; printf '\n'
  for i in $(seq 0 1399); do
      printf 'line %05d abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ 0123456789\n' "$i"
  done
} | crlf > "$md/cur/1704103204.pop3seed4.host:2,"
chown -R "$uid:$gid" "$dir/mail"
chmod 700 "$home"

# --- Dovecot --------------------------------------------------------------------------------
printf '%s:{PLAIN}%s\n' "$user" "$pass" > "$dir/passwd"
chown root:dovecot "$dir/passwd"
chmod 640 "$dir/passwd"
dh=
[ -s /usr/share/dovecot/dh.pem ] && dh="ssl_dh = </usr/share/dovecot/dh.pem"

cat > "$dir/dovecot.conf" <<EOF
# Generated by ci-dovecot.sh: throwaway POP3 test instance, loopback only.
instance_name = mailsansio-pop3
base_dir = $dir/run
state_dir = $dir/state
log_path = $dir/dovecot.log
protocols = pop3
listen = 127.0.0.1
ssl = yes
ssl_cert = <$tls/server.pem
ssl_key = <$tls/server.key
ssl_min_protocol = TLSv1.2
$dh
disable_plaintext_auth = yes
auth_mechanisms = plain login
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
protocol pop3 {
  mail_max_userip_connections = 100
}
service pop3-login {
  inet_listener pop3 {
    address = 127.0.0.1
    port = $pop3_port
  }
  inet_listener pop3s {
    address = 127.0.0.1
    port = $pop3s_port
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
for port in "$pop3_port" "$pop3s_port"; do
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
grep -v -e '^MAILSANSIO_DOVECOT_POP3' "$env_file" > "$tmp" || true
{
    cat "$tmp"
    echo "MAILSANSIO_DOVECOT_POP3=127.0.0.1:$pop3_port"
    echo "MAILSANSIO_DOVECOT_POP3S=127.0.0.1:$pop3s_port"
    echo "MAILSANSIO_DOVECOT_POP3_CA=$tls/ca.pem"
    echo "MAILSANSIO_DOVECOT_POP3_USER=$user"
    echo "MAILSANSIO_DOVECOT_POP3_PASS=$pass"
    echo "MAILSANSIO_DOVECOT_POP3_MAILDIR=$md"
    grep -q '^MAILSANSIO_DOVECOT_CA=' "$tmp" || echo "MAILSANSIO_DOVECOT_CA=$tls/ca.pem"
} > "$env_file"
rm -f "$tmp"
grep '^MAILSANSIO_DOVECOT' "$env_file"
