# Sourced by the ci-*.sh peer scripts (it is not a peer itself), beside packages.sh: the steps
# every peer repeats. The caller defines `log` and `env_file` (the peers env file,
# $MAILSANSIO_PEERS_ENV) and runs under `set -euo pipefail`; a step that fails exits the script.

# stop_dovecot DIR: stops the Dovecot instance whose master pid is in DIR/run/master.pid, if it
# still runs, and waits (up to 5 s) for it to go.
stop_dovecot() {
    local pid_file=$1/run/master.pid pid
    if [ -s "$pid_file" ]; then
        pid=$(head -n1 "$pid_file" | tr -dc 0-9)
        if [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = dovecot ]; then
            kill "$pid" 2>/dev/null || true
            for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
        fi
    fi
}

# stop_postfix DIR CONF: stops the Postfix instance queued in DIR/queue (configuration CONF), if
# it runs, and waits (up to 5 s) for its pid file to go.
stop_postfix() {
    if [ -s "$1/queue/pid/master.pid" ]; then
        postfix -c "$2" stop >/dev/null 2>&1 || true
        for _ in $(seq 100); do [ -s "$1/queue/pid/master.pid" ] || break; sleep 0.05; done
    fi
}

# system_account NAME: makes the system account NAME (no home, no shell) unless it exists, and
# sets `uid` and `gid` to its ids.
system_account() {
    id -u "$1" >/dev/null 2>&1 ||
        useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$1"
    uid=$(id -u "$1")
    gid=$(id -g "$1")
}

# make_ca_and_cert TLS_DIR CA_NAME: writes TLS_DIR/ca.pem (a CA called CA_NAME, P-256, 10 years)
# and TLS_DIR/server.pem + server.key (for localhost / 127.0.0.1, signed by that CA).
make_ca_and_cert() {
    local tls=$1
    cat > "$tls/openssl.cnf" <<EOF
[req]
distinguished_name = dn
prompt = no
[dn]
CN = $2
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
    local key=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1)
    openssl req -x509 -config "$tls/openssl.cnf" -extensions v3_ca "${key[@]}" -nodes -days 3650 \
        -keyout "$tls/ca.key" -out "$tls/ca.pem" 2>/dev/null
    openssl req -new -config "$tls/openssl.cnf" -subj /CN=localhost "${key[@]}" -nodes \
        -keyout "$tls/server.key" -out "$tls/server.csr" 2>/dev/null
    openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca.key" -set_serial 2 \
        -days 3650 -extfile "$tls/openssl.cnf" -extensions v3_server -out "$tls/server.pem" 2>/dev/null
    chmod 644 "$tls"/*.pem
    chmod 600 "$tls"/*.key
}

# self_signed_cert TLS_DIR CN SAN: writes TLS_DIR/cert.pem, a self-signed end-entity certificate
# (P-256, 30 days, serverAuth) for CN with subjectAltName SAN (e.g. DNS:localhost,IP:127.0.0.1),
# which clients trust directly, and its key TLS_DIR/key.pem.
self_signed_cert() {
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
        -subj "/CN=$2" -addext "subjectAltName=$3" \
        -addext "basicConstraints=critical,CA:FALSE" -addext "extendedKeyUsage=serverAuth" \
        -keyout "$1/key.pem" -out "$1/cert.pem" 2>/dev/null
    chmod 644 "$1/cert.pem"
    chmod 600 "$1/key.pem"
}

# start_dovecot DIR: checks and starts Dovecot with DIR/dovecot.conf; on failure prints what it
# said and exits.
start_dovecot() {
    doveconf -c "$1/dovecot.conf" -n >/dev/null
    dovecot -c "$1/dovecot.conf" </dev/null >/dev/null 2>"$1/startup.err" || {
        cat "$1/startup.err" >&2
        exit 1
    }
}

# wait_for_ports LOG PORT...: waits (up to 20 s each) until something listens on 127.0.0.1:PORT;
# if one does not open, logs it with the tail of LOG and exits.
wait_for_ports() {
    local log_file=$1 port n
    shift
    for port in "$@"; do
        n=0
        until listening "$port"; do
            n=$((n + 1))
            if [ $n -gt 400 ]; then
                log "port $port did not open"
                tail -n 20 "$log_file" >&2 || true
                exit 1
            fi
            sleep 0.05
        done
    done
}

listening() {
    if command -v ss >/dev/null 2>&1; then
        ss -Hltn "( sport = :$1 )" 2>/dev/null | grep -q 127.0.0.1
    else
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
    fi
}

# set_peer_env PREFIX KEY=VALUE...: replaces the lines of the peers env file that start with
# PREFIX by the KEY=VALUE lines given (the other peers' lines stay, in their order).
set_peer_env() {
    local prefix=$1 tmp
    shift
    touch "$env_file"
    tmp=$(mktemp)
    grep -v -e "^$prefix" "$env_file" > "$tmp" || true
    { cat "$tmp"; printf '%s\n' "$@"; } > "$env_file"
    rm -f "$tmp"
}

# default_peer_env KEY=VALUE: adds the line unless the peers env file already sets KEY.
default_peer_env() {
    grep -q "^${1%%=*}=" "$env_file" || printf '%s\n' "$1" >> "$env_file"
}

# postfix_main_cf DIR HOSTNAME: prints the main.cf lines every throwaway Postfix shares: its
# queue, data and log under DIR, loopback only, no local delivery, no outbound mail, relaying
# refused. The caller adds its own lines (virtual_mailbox_domains and where mail goes).
postfix_main_cf() {
    cat <<CONF
compatibility_level = 3.6
queue_directory = $1/queue
data_directory = $1/data
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
shlib_directory = /usr/lib/postfix
meta_directory = /etc/postfix
mail_owner = postfix
setgid_group = postdrop
maillog_file = $1/postfix.log
# Postfix writes its own log only under an allowed prefix (default /var).
maillog_file_prefixes = $1
myhostname = $2
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
CONF
}

# postfix_master_cf PORT SERVICE...: prints a master.cf with smtpd on 127.0.0.1:PORT, the
# internal services a receiving Postfix needs, and the SERVICE lines given (e.g. "virtual unix -
# n n - - virtual" for local Maildir delivery, "lmtp unix - - n - - lmtp" for LMTP).
postfix_master_cf() {
    printf '127.0.0.1:%s inet n - n - - smtpd\n' "$1"
    shift
    printf '%s\n' "pickup unix n - n 60 1 pickup" "cleanup unix n - n - 0 cleanup" \
        "qmgr unix n - n 300 1 qmgr" "rewrite unix - - n - - trivial-rewrite" \
        "bounce unix - - n - 0 bounce" "defer unix - - n - 0 bounce" \
        "trace unix - - n - 0 bounce" "verify unix - - n - 1 verify" \
        "flush unix n - n 1000? 0 flush" "proxymap unix - - n - - proxymap" \
        "showq unix n - n - - showq" "error unix - - n - - error" \
        "retry unix - - n - - error" "discard unix - - n - - discard" \
        "anvil unix - - n - 1 anvil" "scache unix - - n - 1 scache" \
        "postlog unix-dgram n - n - 1 postlogd" "$@"
}

# postfix_start DIR CONF FILE...: backdates the configuration FILEs (Postfix holds off reading
# files modified in the last seconds) and starts Postfix; on failure logs the tail of
# DIR/postfix.log and exits.
postfix_start() {
    local dir=$1 conf=$2
    shift 2
    touch -d "@$(( $(date +%s) - 10 ))" "$@"
    if ! postfix -c "$conf" start </dev/null >/dev/null 2>&1; then
        log "postfix failed to start:"
        tail -n 20 "$dir/postfix.log" >&2 || true
        exit 1
    fi
}
