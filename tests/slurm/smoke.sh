#!/usr/bin/env bash
# Checks the SLURM behaviours parity's sweep relies on, against the cluster of cluster.sh (started).
#   tests/slurm/cluster.sh start && tests/slurm/smoke.sh [WORKDIR]
# Each check prints "ok ..." with its timing or fails (exit 1). About a minute in all.
# WORKDIR (default: a new mktemp -d) holds the batch scripts' outputs; it is left for inspection.
set -euo pipefail
: "${SLURM_CONF:=${PARITY_SLURM_DIR:-/tmp/parity-slurm}/slurm.conf}"
export SLURM_CONF
W="${1:-$(mktemp -d /tmp/parity-slurm-smoke.XXXXXX)}"
mkdir -p "$W"
W="$(cd "$W" && pwd)"
echo "workdir $W, SLURM_CONF=$SLURM_CONF"

fail() { echo "FAIL: $*" >&2; exit 1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
field() { scontrol show job "$1" 2>/dev/null | tr ' ' '\n' | sed -n "s/^$2=//p" | head -1; }  # field JOB NAME
wait_for() {  # wait_for SECONDS WHAT COMMAND...
    local limit="$1" what="$2" t0=$SECONDS
    shift 2
    until "$@"; do
        [ $((SECONDS - t0)) -lt "$limit" ] || fail "$what: not within ${limit}s"
        sleep 0.2
    done
}
state_is() { [ "$(field "$1" JobState)" = "$2" ]; }
has_line() { [ -f "$1" ] && grep -q -- "$2" "$1"; }

scontrol ping >/dev/null || fail "no slurmctld: run tests/slurm/cluster.sh start"

# A batch script that records its starts and the signals it gets (bash runs a trap only once its
# foreground command returns, hence `sleep & wait`).
cat >"$W/trap.sh" <<'EOF'
#!/bin/bash
LOG="$1/trap-${SLURM_ARRAY_JOB_ID:-$SLURM_JOB_ID}${SLURM_ARRAY_TASK_ID:+_$SLURM_ARRAY_TASK_ID}.log"
echo "start $(date +%s.%N) restart=${SLURM_RESTART_COUNT:-0}" >>"$LOG"
trap 'echo "SIGTERM $(date +%s.%N)" >>"$LOG"; exit 143' TERM
sleep "${2:-300}" &
wait
echo "end $(date +%s.%N)" >>"$LOG"
EOF
chmod +x "$W/trap.sh"

# 1. a plain job
t0=$(now)
j=$(sbatch --parsable -o "$W/hostname-%j.out" --wrap hostname)
wait_for 30 "job $j COMPLETED" state_is "$j" COMPLETED
[ "$(cat "$W/hostname-$j.out")" = "$(hostname)" ] || fail "job $j wrote '$(cat "$W/hostname-$j.out")'"
echo "ok   sbatch --wrap hostname: COMPLETED, output $(hostname), $(since "$t0") s from submit"

# 2. a job array runs at most %N tasks at once (%1 as well: on a 2-CPU machine %2 is also the CPU limit)
for limit in 2 1; do
    t0=$(now)
    log="$W/array-$limit.log"
    j=$(sbatch --parsable --array=0-3%$limit -o /dev/null \
        --wrap "echo \"s \$(date +%s.%N)\" >>$log; sleep 3; echo \"e \$(date +%s.%N)\" >>$log")
    wait_for 60 "array $j finished" bash -c "[ \"\$(grep -c ^e $log 2>/dev/null)\" = 4 ]"
    most=$(sort -k2 -n "$log" | awk '$1=="s"{n++} $1=="e"{n--} n>m{m=n} END{print m}')
    [ "$most" = $limit ] || fail "array $j: $most tasks at once (expected $limit)"
    echo "ok   sbatch --array=0-3%$limit (3 s tasks): at most $most at once, $(since "$t0") s in all"
done

# 3. scancel of a running array task: SIGTERM to its batch script, state CANCELLED, the others run on
t0=$(now)
j=$(sbatch --parsable --array=0-1 -o /dev/null "$W/trap.sh" "$W" 300)
wait_for 30 "array task ${j}_0 running" has_line "$W/trap-${j}_0.log" start
scancel "${j}_0"
wait_for 30 "SIGTERM to ${j}_0" has_line "$W/trap-${j}_0.log" SIGTERM
wait_for 30 "${j}_0 CANCELLED" state_is "${j}_0" CANCELLED
state_is "${j}_1" RUNNING || fail "${j}_1 is $(field "${j}_1" JobState), expected RUNNING"
scancel "$j"
echo "ok   scancel ${j}_0: SIGTERM trapped, CANCELLED, ${j}_1 still RUNNING ($(since "$t0") s)"

# 4. scontrol requeue of a running job: SIGTERM, PENDING (BeginTime), then it runs again
requeue_check() {  # requeue_check JOB LOGFILE
    local j="$1" log="$2" t0 reason
    wait_for 30 "$j running" has_line "$log" start
    t0=$(now)
    scontrol requeue "$j"
    wait_for 15 "SIGTERM to $j after requeue" has_line "$log" SIGTERM
    wait_for 15 "$j PENDING" state_is "$j" PENDING
    reason=$(field "$j" Reason)
    wait_for 60 "$j restarted" has_line "$log" "restart=1"
    echo "ok   scontrol requeue $j: SIGTERM trapped after $(awk '/SIGTERM/{print $2; exit}' "$log" | awk -v a="$t0" '{printf "%.2f", $1 - a}') s, PENDING ($reason), running again (SLURM_RESTART_COUNT=1) $(since "$t0") s after the requeue"
    scancel "$j"
}
j=$(sbatch --parsable -o /dev/null "$W/trap.sh" "$W" 300)
requeue_check "$j" "$W/trap-$j.log"

# 5. the same for one task of a job array
arr=$(sbatch --parsable --array=0-1 -o /dev/null "$W/trap.sh" "$W" 300)
requeue_check "${arr}_1" "$W/trap-${arr}_1.log"
scancel "$arr"

# 6. preemption: a job in partition urgent (higher PriorityTier) needing every CPU requeues a debug job
cpus=$(nproc)
j=$(sbatch --parsable -c "$cpus" -o /dev/null "$W/trap.sh" "$W" 300)
wait_for 30 "$j running" has_line "$W/trap-$j.log" start
t0=$(now)
u=$(sbatch --parsable -p urgent -c "$cpus" -o /dev/null --wrap 'sleep 2')
wait_for 15 "SIGTERM to $j on preemption" has_line "$W/trap-$j.log" SIGTERM
wait_for 30 "urgent job $u COMPLETED" state_is "$u" COMPLETED
wait_for 60 "$j restarted after preemption" has_line "$W/trap-$j.log" "restart=1"
echo "ok   preemption of $j by urgent job $u: SIGTERM trapped, requeued, running again $(since "$t0") s after the urgent submit"
scancel "$j"

# 7. accounting
if grep -q '^AccountingStorageType=accounting_storage/slurmdbd' "$SLURM_CONF"; then
    sleep 1
    out=$(sacct -n -X -P -o JobID,State -j "$arr")
    echo "$out" | grep -q "^${arr}_1|" || fail "sacct does not know ${arr}_1: $out"
    echo "ok   sacct -j $arr: $(echo "$out" | tr '\n' ' ')"
else
    echo "skip sacct: accounting off (AccountingStorageType=accounting_storage/none)"
fi
echo "all ok"
