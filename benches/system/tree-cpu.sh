# Sourced by the benches/system scripts.

# tree_cpu PID: CPU seconds (user + system) used so far by process PID and everything under
# it, the reaped children included (their time is in the parent's cutime/cstime).
tree_cpu() {
    local pids=$1 all="" next p hz
    while [ -n "$pids" ]; do
        all="$all $pids"
        next=""
        for p in $pids; do
            next="$next $(cat /proc/"$p"/task/*/children 2>/dev/null | tr '\n' ' ')"
        done
        pids=$(echo $next)
    done
    hz=$(getconf CLK_TCK)
    for p in $all; do
        # Fields after the ")" : utime stime cutime cstime are 14-17 of stat.
        sed 's/^.*) //' /proc/"$p"/stat 2>/dev/null | awk '{print $12+$13+$14+$15}'
    done | awk -v hz="$hz" '{s+=$1} END {printf "%.3f", s/hz}'
}
