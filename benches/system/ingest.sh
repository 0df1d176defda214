#!/usr/bin/env bash
# SMTP ingest, mailserver against a throwaway Postfix, with Postfix's own smtp-source, both
# on 127.0.0.1, both delivering into a Maildir (fsynced: Postfix's defaults, mailserver's
# group commit). For each size it prints msg/s (from the first connection until the last
# message is in the Maildir) and CPU per message (the whole process tree: every Postfix
# daemon, reaped or alive; mailserver's one process).
#
#   benches/system/ingest.sh                  # the issue's sizes: 20,000 x 10 KiB, 500 x 1 MiB
#   SMALL=2000 BIG=100 benches/system/ingest.sh
#
# Needs root (Postfix), the postfix package (/usr/sbin/smtp-source), and a release build
# (MAILSERVER=path, default target/release/mailserver). Ports: 25031 (mailserver), 25032
# (Postfix). Everything it starts it stops; its files are under $TMPDIR.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
mailserver=${MAILSERVER:-$root/target/release/mailserver}
small=${SMALL:-20000}
big=${BIG:-500}
sessions=${SESSIONS:-20}
only=${ONLY:-both} # both, ours, postfix
ms_port=${MS_PORT:-25031}
pf_port=${PF_PORT:-25032}
work=${TMPDIR:-/tmp}/mailsansio-ingest-bench.$$
domain=bench.test
source_bin=${SMTP_SOURCE:-smtp-source}
command -v "$source_bin" >/dev/null || source_bin=/usr/sbin/smtp-source

log() { printf 'ingest: %s\n' "$*" >&2; }
# shellcheck source=examples/interop/peer-lib.sh
. "$root/examples/interop/peer-lib.sh"

# CPU seconds (user + system) used so far by process $1 and everything under it, the reaped
# children included (their time is in the parent's cutime/cstime).
tree_cpu() {
    local pids=$1 all="" next
    while [ -n "$pids" ]; do
        all="$all $pids"
        next=""
        for p in $pids; do
            next="$next $(cat /proc/"$p"/task/*/children 2>/dev/null | tr '\n' ' ')"
        done
        pids=$(echo $next)
    done
    local hz
    hz=$(getconf CLK_TCK)
    for p in $all; do
        # Fields after the ")" : utime stime cutime cstime are 14-17 of stat.
        sed 's/^.*) //' /proc/"$p"/stat 2>/dev/null | awk '{print $12+$13+$14+$15}'
    done | awk -v hz="$hz" '{s+=$1} END {printf "%.3f", s/hz}'
}

count_files() { find "$1" -maxdepth 1 -type f 2>/dev/null | wc -l; }

# run NAME PORT PID MAILDIR_NEW SIZE COUNT
run() {
    local name=$1 port=$2 pid=$3 newdir=$4 size=$5 count=$6
    local before t0 t1 after n
    before=$(count_files "$newdir")
    local cpu0
    cpu0=$(tree_cpu "$pid")
    t0=$(date +%s.%N)
    "$source_bin" -l "$size" -m "$count" -s "$sessions" -f sender@client.test \
        -t "user@$domain" 127.0.0.1:"$port"
    local want=$((before + count)) deadline=$((SECONDS + 1800))
    while n=$(count_files "$newdir"); [ "$n" -lt "$want" ]; do
        [ $SECONDS -lt $deadline ] || { log "$name: only $((n - before)) of $count arrived"; return 1; }
        sleep 0.05
    done
    t1=$(date +%s.%N)
    after=$(tree_cpu "$pid")
    awk -v n="$count" -v t0="$t0" -v t1="$t1" -v c0="$cpu0" -v c1="$after" \
        -v name="$name" -v size="$size" 'BEGIN {
        printf "%-10s %8d B x %6d  %8.0f msg/s  %6.2f ms CPU/msg  (%.1f s)\n",
            name, size, n, n / (t1 - t0), 1000 * (c1 - c0) / n, t1 - t0 }'
}

cleanup() {
    [ -n "${ms_pid:-}" ] && kill "$ms_pid" 2>/dev/null && wait "$ms_pid" 2>/dev/null
    [ -s "$work/postfix/queue/pid/master.pid" ] && postfix -c "$work/postfix/conf" stop >/dev/null 2>&1
    true
}
trap cleanup EXIT

start_mailserver() {
    rm -rf "$work/ms" && mkdir -p "$work/ms"
    printf 'user:bench-password\n' > "$work/ms/users"
    local p=$((ms_port + 100))
    "$mailserver" --data "$work/ms/data" --users "$work/ms/users" --domain "$domain" \
        --listen 127.0.0.1 --smtp-port "$ms_port" --submission-port $((p + 1)) \
        --smtps-port $((p + 2)) --pop3-port $((p + 3)) --pop3s-port $((p + 4)) \
        --imap-port $((p + 5)) --imaps-port $((p + 6)) --dns 127.0.0.1:9 \
        > "$work/ms/server.log" 2>&1 &
    ms_pid=$!
    for _ in $(seq 200); do
        # Still ours: a port held by someone else makes it exit.
        kill -0 "$ms_pid" 2>/dev/null || break
        (exec 3<>"/dev/tcp/127.0.0.1/$ms_port") 2>/dev/null && kill -0 "$ms_pid" 2>/dev/null && return 0
        sleep 0.05
    done
    log "mailserver did not start:"; tail "$work/ms/server.log" >&2; exit 1
}

start_postfix() {
    local dir=$work/postfix conf=$work/postfix/conf
    stop_postfix "$dir" "$conf"
    rm -rf "$dir" && mkdir -p "$conf" "$dir/queue" "$dir/data" "$dir/mail"
    chmod 755 "$dir"; chown postfix "$dir/data"
    local uid gid
    uid=$(id -u nobody); gid=$(id -g nobody)
    chown nobody:"$gid" "$dir/mail"
    printf 'user@%s user/Maildir/\n' "$domain" > "$conf/vmailbox"
    {
        postfix_main_cf "$dir" "mx.$domain"
        cat <<CONF
syslog_name = postfix-bench
virtual_mailbox_domains = $domain
virtual_mailbox_maps = texthash:$conf/vmailbox
virtual_mailbox_base = $dir/mail
virtual_uid_maps = static:$uid
virtual_gid_maps = static:$gid
virtual_minimum_uid = $uid
message_size_limit = 20971520
CONF
    } > "$conf/main.cf"
    postfix_master_cf "$pf_port" "virtual unix - n n - - virtual" > "$conf/master.cf"
    postfix_start "$dir" "$conf" "$conf/main.cf" "$conf/master.cf" "$conf/vmailbox"
    wait_for_ports "$dir/postfix.log" "$pf_port"
    pf_pid=$(tr -d ' \n' < "$dir/queue/pid/master.pid")
    kill -0 "$pf_pid" 2>/dev/null || { log "postfix is not running"; exit 1; }
    # The Maildir appears with the first delivery.
    mkdir -p "$dir/mail/user/Maildir/new"; chown -R nobody:"$gid" "$dir/mail/user"
}

log "load before: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) CPUs"
echo "server       size     count      rate        CPU"
for spec in "10240 $small" "1048576 $big"; do
    set -- $spec
    [ "$2" -gt 0 ] || continue
    if [ "$only" != postfix ]; then
        start_mailserver
        run mailserver "$ms_port" "$ms_pid" "$work/ms/data/user/Maildir/new" "$1" "$2"
        kill "$ms_pid"; wait "$ms_pid" 2>/dev/null || true; ms_pid=
    fi
    if [ "$only" != ours ]; then
        start_postfix
        run postfix "$pf_port" "$pf_pid" "$work/postfix/mail/user/Maildir/new" "$1" "$2"
        postfix -c "$work/postfix/conf" stop >/dev/null 2>&1 || true
    fi
done
log "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
[ -n "${KEEP:-}" ] || rm -rf "$work"
