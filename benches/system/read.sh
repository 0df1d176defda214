#!/usr/bin/env bash
# Reading mail, mailserver against a throwaway Dovecot (default settings, mail_location
# maildir), both on 127.0.0.1 serving the same Maildir (one copy each) of COUNT messages of
# SIZE octets, both over implicit TLS. The client (read-client.py beside this script, the
# same for both) fetches them all: POP3S RETR 1..N one after the other, and IMAPS one
# FETCH 1:* BODY.PEEK[]. It prints, per round, MB/s (message octets over the client's wall
# time from connect to logout), the server's CPU per message (its whole process tree: every
# Dovecot process, reaped or alive; mailserver's one process) and the client's CPU, so that
# a client-bound run shows. Rounds alternate between the servers; the medians are last.
#
#   benches/system/read.sh                     # the issue's size: 1,000 x 100 KiB, 5 rounds
#   COUNT=200 ROUNDS=3 benches/system/read.sh  # a quick run
#   PIPELINE=8 benches/system/read.sh          # up to 8 RETR in flight (both servers offer
#                                              # PIPELINING): less of the round trips
#
# Needs root (Dovecot, a system account), dovecot-core, dovecot-pop3d, dovecot-imapd,
# openssl, python3, and a release build (MAILSERVER=path, default target/release/mailserver).
# Ports: 27995/27993 (mailserver POP3S/IMAPS, others above 27100), 26995/26993 (Dovecot).
# Everything it starts it stops; its files are under $TMPDIR.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
mailserver=${MAILSERVER:-$root/target/release/mailserver}
count=${COUNT:-1000}
size=${SIZE:-102400}
rounds=${ROUNDS:-5}
only=${ONLY:-both} # both, ours, dovecot
protos=${PROTOS:-pop3 imap}
ms_pop3s=${MS_POP3S_PORT:-27995}
ms_imaps=${MS_IMAPS_PORT:-27993}
dc_pop3s=${DC_POP3S_PORT:-26995}
dc_imaps=${DC_IMAPS_PORT:-26993}
work=${TMPDIR:-/tmp}/mailsansio-read-bench.$$
user=reader
pass=bench-password
client=(python3 "$here/read-client.py")

log() { printf 'read: %s\n' "$*" >&2; }
# shellcheck source=examples/interop/peer-lib.sh
. "$root/examples/interop/peer-lib.sh"
# shellcheck source=benches/system/tree-cpu.sh
. "$here/tree-cpu.sh"

cleanup() {
    [ -n "${ms_pid:-}" ] && kill "$ms_pid" 2>/dev/null && wait "$ms_pid" 2>/dev/null
    stop_dovecot "$work/dovecot"
    true
}
trap cleanup EXIT

# make_maildir DIR: COUNT messages of about SIZE octets in DIR/cur (CRLF, as SMTP stores
# them): a text part with a few dot-led lines, then a base64 attachment.
make_maildir() {
    mkdir -p "$1/cur" "$1/new" "$1/tmp"
    python3 - "$1/cur" "$count" "$size" <<'PY'
import base64, os, random, sys
out, count, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(16)
words = "the of and to in a is that for it as was with be by on not he this are or his".split()
for n in range(count):
    head = (f"Return-Path: <sender{n}@client.test>\r\nFrom: Sender <sender{n}@client.test>\r\n"
            f"To: Reader <reader@bench.test>\r\nSubject: message {n}\r\n"
            f"Date: Mon, 07 Dec 2026 10:00:00 +0000\r\nMessage-ID: <{n}.bench@client.test>\r\n"
            "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
            "--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n")
    text = []
    for i in range(60):
        line = " ".join(rng.choice(words) for _ in range(rng.randint(1, 14)))
        text.append(("." if i % 20 == 7 else "") + line)
    body = head + "\r\n".join(text) + "\r\n--b\r\nContent-Type: application/octet-stream\r\n" \
        "Content-Transfer-Encoding: base64\r\n\r\n"
    left = max(0, size - len(body) - 8)
    raw = rng.randbytes(left * 3 // 4)
    b64 = base64.b64encode(raw).decode()
    body += "\r\n".join(b64[i:i + 76] for i in range(0, len(b64), 76)) + "\r\n--b--\r\n"
    data = body.encode()
    name = f"{1796000000 + n}.M{n}P1.bench,S={len(data)}:2,S"
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
PY
}

start_mailserver() {
    rm -rf "$work/ms" && mkdir -p "$work/ms/data"
    printf '%s:%s\n' "$user" "$pass" > "$work/ms/users"
    mkdir -p "$work/ms/data/$user"
    cp -a "$work/maildir" "$work/ms/data/$user/Maildir"
    local p=27100
    "$mailserver" --data "$work/ms/data" --users "$work/ms/users" --domain bench.test \
        --listen 127.0.0.1 --smtp-port $((p + 1)) --submission-port $((p + 2)) \
        --smtps-port $((p + 3)) --pop3-port $((p + 4)) --pop3s-port "$ms_pop3s" \
        --imap-port $((p + 5)) --imaps-port "$ms_imaps" --dns 127.0.0.1:9 \
        > "$work/ms/server.log" 2>&1 &
    ms_pid=$!
    for _ in $(seq 200); do
        kill -0 "$ms_pid" 2>/dev/null || break
        listening "$ms_imaps" && listening "$ms_pop3s" && kill -0 "$ms_pid" 2>/dev/null && return 0
        sleep 0.05
    done
    log "mailserver did not start:"; tail "$work/ms/server.log" >&2; exit 1
}

start_dovecot_bench() {
    local dir=$work/dovecot
    mkdir -p "$dir/run" "$dir/state" "$dir/tls" "$dir/mail/$user"
    chmod 755 "$dir"
    system_account mailsansio
    self_signed_cert "$dir/tls" localhost DNS:localhost,IP:127.0.0.1
    cp -a "$work/maildir" "$dir/mail/$user/Maildir"
    chown -R "$uid:$gid" "$dir/mail"
    printf '%s:{PLAIN}%s\n' "$user" "$pass" > "$dir/passwd"
    chown root:dovecot "$dir/passwd"; chmod 640 "$dir/passwd"
    local dh=
    [ -s /usr/share/dovecot/dh.pem ] && dh="ssl_dh = </usr/share/dovecot/dh.pem"
    cat > "$dir/dovecot.conf" <<EOF
# Generated by benches/system/read.sh: default settings but for where things are.
instance_name = mailsansio-read-bench
base_dir = $dir/run
state_dir = $dir/state
log_path = $dir/dovecot.log
protocols = pop3 imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <$dir/tls/cert.pem
ssl_key = <$dir/tls/key.pem
$dh
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
service pop3-login {
  inet_listener pop3 {
    port = 0
  }
  inet_listener pop3s {
    address = 127.0.0.1
    port = $dc_pop3s
  }
}
service imap-login {
  inet_listener imap {
    port = 0
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $dc_imaps
  }
}
EOF
    start_dovecot "$dir"
    wait_for_ports "$dir/dovecot.log" "$dc_pop3s" "$dc_imaps"
    dc_pid=$(head -n1 "$dir/run/master.pid" | tr -dc 0-9)
}

# fetch NAME PROTO PORT PID: one client run; prints a result line, appends it to $work/results.
fetch() {
    local name=$1 proto=$2 port=$3 pid=$4 c0 c1 t0 t1 out
    c0=$(tree_cpu "$pid")
    t0=$(date +%s.%N)
    out=$("${client[@]}" "$proto" 127.0.0.1:"$port" "$user" "$pass")
    t1=$(date +%s.%N)
    c1=$(tree_cpu "$pid")
    set -- $out
    [ "$1" -eq "$count" ] || { log "$name $proto: read $1 of $count messages"; exit 1; }
    awk -v name="$name" -v proto="$proto" -v n="$1" -v octets="$2" -v ccpu="$3" \
        -v t0="$t0" -v t1="$t1" -v c0="$c0" -v c1="$c1" \
        -v load="$(cut -d' ' -f1 /proc/loadavg)" 'BEGIN {
        printf "%-10s %-5s %6d msgs  %7.1f MB/s  %6.3f ms CPU/msg  client %5.2f s CPU  (%.2f s, load %s)\n",
            name, proto, n, octets / (t1 - t0) / 1e6, 1000 * (c1 - c0) / n, ccpu, t1 - t0, load }' |
        tee -a "$work/results"
}

mkdir -p "$work"
log "load before: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) CPUs; $count x $size octets, $rounds rounds, POP3 pipeline ${PIPELINE:-1}"
make_maildir "$work/maildir"
[ "$only" = dovecot ] || start_mailserver
[ "$only" = ours ] || start_dovecot_bench
# One untimed pass each: both index the Maildir at the first login (Dovecot builds its
# index and cache, mailserver its UID list).
for proto in $protos; do
    [ "$only" = dovecot ] || "${client[@]}" "$proto" 127.0.0.1:$([ "$proto" = pop3 ] && echo "$ms_pop3s" || echo "$ms_imaps") "$user" "$pass" >/dev/null
    [ "$only" = ours ] || "${client[@]}" "$proto" 127.0.0.1:$([ "$proto" = pop3 ] && echo "$dc_pop3s" || echo "$dc_imaps") "$user" "$pass" >/dev/null
done
for _ in $(seq "$rounds"); do
    for proto in $protos; do
        if [ "$proto" = pop3 ]; then mp=$ms_pop3s dp=$dc_pop3s; else mp=$ms_imaps dp=$dc_imaps; fi
        [ "$only" = dovecot ] || fetch mailserver "$proto" "$mp" "$ms_pid"
        [ "$only" = ours ] || fetch dovecot "$proto" "$dp" "$dc_pid"
    done
done
echo "medians:"
for proto in $protos; do
    for name in mailserver dovecot; do
        grep "^$name *$proto " "$work/results" | awk '{print $5}' | sort -n |
            awk -v name="$name" -v proto="$proto" '{r[NR]=$1} END {
                if (NR) printf "%-10s %-5s %7.1f MB/s (median of %d)\n", name, proto, r[int((NR+1)/2)], NR }'
    done
done
log "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
cleanup
ms_pid= sink_pid= dns_pid=
[ -n "${KEEP:-}" ] || rm -rf "$work"
