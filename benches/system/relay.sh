#!/usr/bin/env bash
# Outbound relay, mailserver against a throwaway Postfix, both on 127.0.0.1, both relaying
# every message to the same kind of Postfix smtp-sink on its own port (a fresh one per run,
# so its counter starts at zero). relay-client.py (beside this script, the same for both)
# submits COUNT messages of SIZE octets over SESSIONS connections at once (STARTTLS, then
# AUTH on mailserver's submission port; Postfix relays for 127.0.0.0/8 without AUTH).
# mailserver finds the sink by MX (a dnsmasq on 127.0.0.1 answers for sink.test), Postfix by
# its relayhost. Per run: msg/s from the first connection until the sink has received every
# message, and CPU per message of the server's whole process tree (every Postfix daemon,
# reaped or alive; mailserver's one process). Runs alternate between the servers.
#
#   benches/system/relay.sh                        # 5,000 x 10 KiB, 20 sessions, 3 rounds
#   COUNT=500 ROUNDS=1 benches/system/relay.sh     # a quick run
#   MODE=queued benches/system/relay.sh            # the relay alone, from a full queue
#
# MODE=live (the default) times submission and relay together, so the slower of the two
# sets the rate. MODE=queued submits first while the relay cannot deliver (mailserver: its
# MX port closed, then stopped and every envelope made due; Postfix: defer_transports),
# then lets it go and times only the queue's delivery to the sink: server CPU from there on.
#
# Needs root (Postfix), postfix (smtp-sink), dnsmasq (dnsmasq-base), python3, and a release
# build (MAILSERVER=path, default target/release/mailserver). Ports: 25041 (mailserver
# submission, others above 25140), 25042 (Postfix), 25043/25044 (the sinks), 25045 (DNS).
# Everything it starts it stops; its files are under $TMPDIR.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
mailserver=${MAILSERVER:-$root/target/release/mailserver}
count=${COUNT:-5000}
size=${SIZE:-10240}
sessions=${SESSIONS:-20}
rounds=${ROUNDS:-3}
only=${ONLY:-both} # both, ours, postfix
mode=${MODE:-live} # live, queued
ms_port=${MS_PORT:-25041}
pf_port=${PF_PORT:-25042}
ms_sink=${MS_SINK_PORT:-25043}
pf_sink=${PF_SINK_PORT:-25044}
dns_port=${DNS_PORT:-25045}
work=${TMPDIR:-/tmp}/mailsansio-relay-bench.$$
domain=bench.test
user=sender
pass=bench-password
rcpt=someone@sink.test
sink_bin=${SMTP_SINK:-smtp-sink}
command -v "$sink_bin" >/dev/null || sink_bin=/usr/sbin/smtp-sink
dnsmasq=$(command -v dnsmasq || echo /usr/sbin/dnsmasq)

log() { printf 'relay: %s\n' "$*" >&2; }
# shellcheck source=examples/interop/peer-lib.sh
. "$root/examples/interop/peer-lib.sh"
# shellcheck source=benches/system/tree-cpu.sh
. "$here/tree-cpu.sh"

cleanup() {
    [ -n "${ms_pid:-}" ] && kill "$ms_pid" 2>/dev/null && wait "$ms_pid" 2>/dev/null
    [ -n "${sink_pid:-}" ] && kill "$sink_pid" 2>/dev/null && wait "$sink_pid" 2>/dev/null
    [ -n "${dns_pid:-}" ] && kill "$dns_pid" 2>/dev/null
    [ -s "$work/postfix/queue/pid/master.pid" ] && postfix -c "$work/postfix/conf" stop >/dev/null 2>&1
    true
}
trap cleanup EXIT

start_dns() {
    "$dnsmasq" --no-resolv --no-hosts --local=/test/ --mx-host=sink.test,mx.sink.test,10 \
        --host-record=mx.sink.test,127.0.0.1 --port="$dns_port" --listen-address=127.0.0.1 \
        --bind-interfaces --pid-file="$work/dnsmasq.pid" --user="$(id -un)" --group="$(id -gn)"
    dns_pid=$(cat "$work/dnsmasq.pid")
}

# start_sink PORT: a fresh smtp-sink counting messages into $work/sink.PORT.
start_sink() {
    "$sink_bin" -c -u nobody 127.0.0.1:"$1" 256 > "$work/sink.$1" 2>&1 &
    sink_pid=$!
    wait_for_ports "$work/sink.$1" "$1"
}

stop_sink() {
    kill "$sink_pid" 2>/dev/null && wait "$sink_pid" 2>/dev/null || true
    sink_pid=
}

# The sink's message counter: its last "mesg=N".
sink_count() {
    tr '\r' '\n' < "$1" | grep -o 'mesg=[0-9]*' | tail -n1 | cut -d= -f2 | grep . || echo 0
}

# start_mailserver [MX_PORT]: a fresh one unless KEEP_DATA is set.
start_mailserver() {
    local mx=${1:-$ms_sink}
    if [ -z "${KEEP_DATA:-}" ]; then
        rm -rf "$work/ms" && mkdir -p "$work/ms"
    fi
    printf '%s:%s\n' "$user" "$pass" > "$work/ms/users"
    local p=25140
    "$mailserver" --data "$work/ms/data" --users "$work/ms/users" --domain "$domain" \
        --listen 127.0.0.1 --smtp-port $((p + 1)) --submission-port "$ms_port" \
        --smtps-port $((p + 2)) --pop3-port $((p + 3)) --pop3s-port $((p + 4)) \
        --imap-port $((p + 5)) --imaps-port $((p + 6)) \
        --dns 127.0.0.1:"$dns_port" --relay-port "$mx" \
        >> "$work/ms/server.log" 2>&1 &
    ms_pid=$!
    for _ in $(seq 200); do
        kill -0 "$ms_pid" 2>/dev/null || break
        listening "$ms_port" && kill -0 "$ms_pid" 2>/dev/null && return 0
        sleep 0.05
    done
    log "mailserver did not start:"; tail "$work/ms/server.log" >&2; exit 1
}

start_postfix() {
    local dir=$work/postfix conf=$work/postfix/conf
    stop_postfix "$dir" "$conf"
    rm -rf "$dir" && mkdir -p "$conf" "$dir/queue" "$dir/data" "$dir/tls"
    chmod 755 "$dir"; chown postfix "$dir/data"
    self_signed_cert "$dir/tls" localhost DNS:localhost,IP:127.0.0.1
    {
        postfix_main_cf "$dir" "mx.$domain"
        # Later lines win: relay everything from loopback to the sink, STARTTLS offered
        # (the client uses it with both servers).
        cat <<CONF
syslog_name = postfix-relay-bench
default_transport = smtp
relay_transport = relay
relayhost = [127.0.0.1]:$pf_sink
${PF_EXTRA:-}
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_tls_security_level = may
smtpd_tls_cert_file = $dir/tls/cert.pem
smtpd_tls_key_file = $dir/tls/key.pem
message_size_limit = 20971520
CONF
    } > "$conf/main.cf"
    postfix_master_cf "$pf_port" "smtp unix - - n - - smtp" "relay unix - - n - - smtp" \
        "tlsmgr unix - - n 1000? 1 tlsmgr" > "$conf/master.cf"
    postfix_start "$dir" "$conf" "$conf/main.cf" "$conf/master.cf"
    wait_for_ports "$dir/postfix.log" "$pf_port"
    pf_pid=$(tr -d ' \n' < "$dir/queue/pid/master.pid")
    kill -0 "$pf_pid" 2>/dev/null || { log "postfix is not running"; exit 1; }
}

# run NAME PORT PID SINK_PORT [AUTH...]
run() {
    local name=$1 port=$2 pid=$3 sink=$4 c0 c1 t0 t1 tc out n
    shift 4
    start_sink "$sink"
    c0=$(tree_cpu "$pid")
    t0=$(date +%s.%N)
    out=$(python3 "$here/relay-client.py" 127.0.0.1:"$port" "$count" "$size" "$sessions" \
        "$user@$domain" "$rcpt" "$@")
    tc=$(date +%s.%N)
    set -- $out
    [ "$1" -eq "$count" ] || { log "$name: the client sent $1 of $count"; exit 1; }
    local deadline=$((SECONDS + 1800))
    while n=$(sink_count "$work/sink.$sink"); [ "$n" -lt "$count" ]; do
        [ $SECONDS -lt $deadline ] || { log "$name: only $n of $count reached the sink"; exit 1; }
        sleep 0.05
    done
    t1=$(date +%s.%N)
    c1=$(tree_cpu "$pid")
    stop_sink
    awk -v name="$name" -v n="$count" -v size="$size" -v ccpu="$2" -v t0="$t0" -v t1="$t1" \
        -v tc="$tc" -v c0="$c0" -v c1="$c1" -v load="$(cut -d' ' -f1 /proc/loadavg)" 'BEGIN {
        printf "%-10s %6d B x %5d  %7.0f msg/s  %6.3f ms CPU/msg  client %5.2f s CPU  (%.2f s, submitted in %.2f s, load %s)\n",
            name, size, n, n / (t1 - t0), 1000 * (c1 - c0) / n, ccpu, t1 - t0, tc - t0, load }' |
        tee -a "$work/results"
}

# report NAME T0 T1 C0 C1 CLIENT_CPU [SUBMITTED_AT]
report() {
    awk -v name="$1" -v n="$count" -v size="$size" -v t0="$2" -v t1="$3" -v c0="$4" \
        -v c1="$5" -v ccpu="$6" -v load="$(cut -d' ' -f1 /proc/loadavg)" 'BEGIN {
        printf "%-10s %6d B x %5d  %7.0f msg/s  %6.3f ms CPU/msg  client %5.2f s CPU  (%.2f s from a full queue, load %s)\n",
            name, size, n, n / (t1 - t0), 1000 * (c1 - c0) / n, ccpu, t1 - t0, load }' |
        tee -a "$work/results"
}

# wait_sink NAME PORT: until the sink has COUNT messages.
wait_sink() {
    local n deadline=$((SECONDS + 1800))
    while n=$(sink_count "$work/sink.$2"); [ "$n" -lt "$count" ]; do
        [ $SECONDS -lt $deadline ] || { log "$1: only $n of $count reached the sink"; exit 1; }
        sleep 0.05
    done
}

submit() {
    local out
    out=$(python3 "$here/relay-client.py" 127.0.0.1:"$1" "$count" "$size" "$sessions" \
        "$user@$domain" "$rcpt" "${@:2}")
    set -- $out
    [ "$1" -eq "$count" ] || { log "the client sent $1 of $count"; exit 1; }
    client_cpu=$2
}

queued_mailserver() {
    local closed=$((ms_sink + 6)) t0 t1 c0 c1
    start_mailserver "$closed"
    submit "$ms_port" "$user" "$pass"
    kill "$ms_pid"; wait "$ms_pid" 2>/dev/null || true; ms_pid=
    local queued
    queued=$(find "$work/ms/data/spool" -name '*.env' | wc -l)
    [ "$queued" -eq "$count" ] || { log "mailserver: $queued of $count queued"; exit 1; }
    find "$work/ms/data/spool" -name '*.env' -exec sed -i 's/^next .*/next 0/' {} +
    sync
    start_sink "$ms_sink"
    t0=$(date +%s.%N)
    KEEP_DATA=1 start_mailserver "$ms_sink"
    c0=0
    wait_sink mailserver "$ms_sink"
    t1=$(date +%s.%N)
    c1=$(tree_cpu "$ms_pid")
    stop_sink
    kill "$ms_pid"; wait "$ms_pid" 2>/dev/null || true; ms_pid=
    report mailserver "$t0" "$t1" "$c0" "$c1" "$client_cpu"
}

queued_postfix() {
    local conf=$work/postfix/conf t0 t1 c0 c1 n
    PF_EXTRA="defer_transports = smtp relay" start_postfix
    submit "$pf_port"
    # Until the queue manager has deferred every message.
    local deadline=$((SECONDS + 600))
    while n=$(find "$work/postfix/queue/deferred" -type f | wc -l); [ "$n" -lt "$count" ]; do
        [ $SECONDS -lt $deadline ] || { log "postfix: only $n of $count deferred"; exit 1; }
        sleep 0.2
    done
    postconf -c "$conf" -e 'defer_transports =' >/dev/null
    postfix -c "$conf" reload >/dev/null 2>&1
    sleep 1
    start_sink "$pf_sink"
    c0=$(tree_cpu "$pf_pid")
    t0=$(date +%s.%N)
    postqueue -c "$conf" -f 2>/dev/null
    wait_sink postfix "$pf_sink"
    t1=$(date +%s.%N)
    c1=$(tree_cpu "$pf_pid")
    stop_sink
    postfix -c "$conf" stop >/dev/null 2>&1 || true
    report postfix "$t0" "$t1" "$c0" "$c1" "$client_cpu"
}

mkdir -p "$work"
log "load before: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) CPUs; $count x $size octets, $sessions sessions, $rounds rounds"
start_dns
for _ in $(seq "$rounds"); do
    if [ "$mode" = queued ]; then
        [ "$only" = postfix ] || queued_mailserver
        [ "$only" = ours ] || queued_postfix
        continue
    fi
    if [ "$only" != postfix ]; then
        start_mailserver
        run mailserver "$ms_port" "$ms_pid" "$ms_sink" "$user" "$pass"
        kill "$ms_pid"; wait "$ms_pid" 2>/dev/null || true; ms_pid=
    fi
    if [ "$only" != ours ]; then
        start_postfix
        run postfix "$pf_port" "$pf_pid" "$pf_sink"
        postfix -c "$work/postfix/conf" stop >/dev/null 2>&1 || true
    fi
done
echo "medians:"
for name in mailserver postfix; do
    grep "^$name " "$work/results" | awk '{print $6}' | sort -n |
        awk -v name="$name" '{r[NR]=$1} END {
            if (NR) printf "%-10s %7.0f msg/s (median of %d)\n", name, r[int((NR+1)/2)], NR }'
done
log "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
cleanup
ms_pid= sink_pid= dns_pid=
[ -n "${KEEP:-}" ] || rm -rf "$work"
