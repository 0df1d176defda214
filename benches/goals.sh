#!/usr/bin/env bash
# The protocol-level rows of benches/README.md in one run: every contender interleaved with its
# peer, medians over many rounds, ratios printed by each bench. Run by hand on a quiet machine:
#   benches/goals.sh            # full rounds (about 10 minutes)
#   ROUNDS=5 benches/goals.sh   # a quick look
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${ROUNDS:-31}

step() { printf '\n== %s (load average %s)\n' "$1" "$(cut -d' ' -f1-3 /proc/loadavg)"; }

cargo bench -p benches --no-run >/dev/null 2>&1 || cargo bench -p benches --no-run

step "DATA unstuffing against Stalwart's DataReceiver"
DOT_ROUNDS=$rounds cargo bench -q -p benches --bench dot
step "SMTP command stream and whole Server against Stalwart's Request::parse"
SMTP_ROUNDS=$rounds cargo bench -q -p benches --bench smtp
step "EHLO and reply decode against Stalwart's EhloResponse and ResponseReceiver"
EHLO_ROUNDS=$rounds cargo bench -q -p benches --bench ehlo
step "DNS MX view and plan against hickory's Message::from_vec"
MX_ROUNDS=$rounds cargo bench -q -p benches --bench mx
step "byte by byte against one buffer, every machine"
cargo bench -q -p benches --bench feed -- --warm-up-time 0.1 --measurement-time 0.3 \
    --sample-size 10 2>&1 | sed -n '/byte by byte against whole/,$p'
step "allocations per SMTP command and idle Server sizes"
cargo test -q -p benches --test alloc -- --nocapture 2>&1 | grep -v '^$'
