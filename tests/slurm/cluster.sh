#!/usr/bin/env bash
# A real single-node SLURM cluster on THIS machine, for testing `parity sweep --executor slurm`.
#
#   tests/slurm/cluster.sh install   # apt-get install what is missing (quiet; no-op when all present)
#   tests/slurm/cluster.sh start     # munged, [mariadbd, slurmdbd,] slurmctld, slurmd; waits until the
#                                    # node is idle, then prints the `export SLURM_CONF=...` line to use
#   tests/slurm/cluster.sh status    # daemons, sinfo, squeue (exit status 3 if a daemon is down)
#   tests/slurm/cluster.sh env       # prints the `export SLURM_CONF=...` line only
#   tests/slurm/cluster.sh stop      # cancels every job of this cluster, stops the daemons it started
#   tests/slurm/cluster.sh purge     # stop, then delete the private directory (state, logs, key, db)
#
# Needs root (the daemons; SlurmUser=root) and Debian 12 (bookworm) packages: slurm-wlm 22.05
# (slurmctld, slurmd, slurm-client) and munge; for accounting (the default, so that `sacct` works,
# which submitit polls for job states) also slurmdbd and mariadb-server. No systemd or cgroups
# needed: the daemons are started directly with proctrack/linuxproc and task/none.
#
# Everything it writes lives in one private directory, $PARITY_SLURM_DIR (default
# /tmp/parity-slurm): slurm.conf, slurmdbd.conf, the munge key and socket, the MariaDB data,
# slurmctld/slurmd state and spool, logs (log/), pid files (run/). Nothing in /etc is touched, and a
# system munged/slurm/mysql (if any) is neither used nor stopped. State survives stop/start (job
# ids keep counting up, so submitit's %j folders never collide); `purge` starts from scratch.
#
# Environment (all optional):
#   PARITY_SLURM_DIR            private directory                              (default /tmp/parity-slurm)
#   PARITY_SLURM_ACCOUNTING     1: slurmdbd + MariaDB, sacct works; 0: none, sacct fails (default 1)
#   PARITY_SLURM_CTLD_PORT      SlurmctldPort                                  (default 6817)
#   PARITY_SLURM_SLURMD_PORT    SlurmdPort                                     (default 6818)
#   PARITY_SLURM_DBD_PORT       slurmdbd's port                                (default 6819)
#   PARITY_SLURM_DB_PORT        MariaDB's TCP port, on 127.0.0.1 only          (default 6820)
#   PARITY_SLURM_CRED_EXPIRE    AuthInfo cred_expire, seconds; also how long a requeued job waits
#                               (PENDING, Reason=BeginTime) before it may start again: cred_expire+1
#                               (default 10; SLURM's own default is 120)
#   PARITY_SLURM_KILL_WAIT      KillWait: seconds between SIGTERM and SIGKILL  (default 10)
#   PARITY_SLURM_START_TIMEOUT  seconds `start` waits for the daemons          (default 60)
# The settings take effect at `start` when no daemon is running (`stop` first to change them).
# See tests/slurm/README.md for the configuration, what was verified and the gotchas.
set -euo pipefail

DIR="${PARITY_SLURM_DIR:-/tmp/parity-slurm}"
ACCOUNTING="${PARITY_SLURM_ACCOUNTING:-1}"
CTLD_PORT="${PARITY_SLURM_CTLD_PORT:-6817}"
SLURMD_PORT="${PARITY_SLURM_SLURMD_PORT:-6818}"
DBD_PORT="${PARITY_SLURM_DBD_PORT:-6819}"
DB_PORT="${PARITY_SLURM_DB_PORT:-6820}"
CRED_EXPIRE="${PARITY_SLURM_CRED_EXPIRE:-10}"
KILL_WAIT="${PARITY_SLURM_KILL_WAIT:-10}"
START_TIMEOUT="${PARITY_SLURM_START_TIMEOUT:-60}"

case "$DIR" in /*) ;; *) DIR="$PWD/$DIR" ;; esac
CONF="$DIR/slurm.conf"
DBD_CONF="$DIR/slurmdbd.conf"
MUNGE_DIR="$DIR/munge"
MUNGE_SOCKET="$MUNGE_DIR/munge.socket"
MUNGE_PID="$MUNGE_DIR/munged.pid"
DB_DIR="$DIR/mysql"
DB_SOCKET="$DB_DIR/mysqld.sock"
DB_PID="$DB_DIR/mariadbd.pid"
DBD_PID="$DIR/run/slurmdbd.pid"
CTLD_PID="$DIR/run/slurmctld.pid"
SLURMD_PID="$DIR/run/slurmd.pid"
SBIN=/usr/sbin
export SLURM_CONF="$CONF"

say() { echo "cluster.sh: $*" >&2; }
die() { say "error: $*"; exit 1; }

need_root() { [ "$(id -u)" -eq 0 ] || die "needs root (the daemons run as root, SlurmUser=root)"; }

# The pid in FILE if that process is alive and its program is NAME (a pid file can outlive its
# process, and the pid be reused).
live_pid() {
    local file="$1" name="$2" pid argv0
    [ -s "$file" ] || return 1
    pid="$(tr -dc 0-9 <"$file")"
    [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
    argv0="$(tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | head -1)"
    [ "${argv0##*/}" = "$name" ] || return 1
    echo "$pid"
}

stop_pids() {  # stop_pids FILE NAME [FILE NAME ...]: SIGTERM to all, wait up to 20 s, then SIGKILL
    local pids=() names=() pid i
    while [ $# -gt 0 ]; do
        if pid="$(live_pid "$1" "$2")"; then
            kill -TERM "$pid" 2>/dev/null || true
            pids+=("$pid"); names+=("$2")
        fi
        rm -f "$1"
        shift 2
    done
    for i in "${!pids[@]}"; do
        pid="${pids[$i]}"
        for _ in $(seq 1 200); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            say "${names[$i]} (pid $pid) still alive 20 s after SIGTERM: SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
        fi
        say "stopped ${names[$i]} (pid $pid)"
    done
}

wait_until() {  # wait_until SECONDS WHAT COMMAND...: poll COMMAND every 0.2 s
    local limit="$1" what="$2" deadline
    shift 2
    deadline=$((SECONDS + limit))
    until "$@" >/dev/null 2>&1; do
        [ $SECONDS -lt $deadline ] || die "$what not ready after ${limit}s: see $DIR/log/ and $DB_DIR/"
        sleep 0.2
    done
}

started() {  # started PIDFILE NAME: a daemon writes its pid file a moment after it forks
    wait_until 10 "$2's pid file" live_pid "$1" "$2"
    say "started $2 (pid $(live_pid "$1" "$2"))"
}

# accounting on in the configuration in use (after start), else as asked
accounting_on() {
    if [ -s "$CONF" ]; then grep -q '^AccountingStorageType=accounting_storage/slurmdbd' "$CONF"; else [ "$ACCOUNTING" = 1 ]; fi
}

have_slurm() { command -v sbatch >/dev/null && [ -x "$SBIN/slurmctld" ] && [ -x "$SBIN/slurmd" ] && [ -x "$SBIN/munged" ]; }
have_accounting() { [ -x "$SBIN/slurmdbd" ] && [ -x "$SBIN/mariadbd" ] && command -v mariadb-install-db >/dev/null; }

cmd_install() {
    need_root
    local packages=()
    have_slurm || packages+=(slurm-wlm munge)
    if [ "$ACCOUNTING" = 1 ] && ! have_accounting; then packages+=(slurmdbd mariadb-server); fi
    [ ${#packages[@]} -gt 0 ] || return 0
    say "installing ${packages[*]} (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
    have_slurm || die "slurm-wlm/munge did not install sbatch, slurmctld, slurmd, munged"
}

write_conf() {
    local host cpus mem_mb real_mb def_mem accounting
    host="$(hostname -s)"
    cpus="$(nproc)"
    mem_mb=$(( $(awk '/^MemTotal:/ {print $2}' /proc/meminfo) / 1024 ))
    real_mb=$(( mem_mb * 90 / 100 ))  # a bit below the total: a node with less than RealMemory is drained
    def_mem=$(( real_mb / cpus ))     # a job without --mem gets this per CPU (else it would get the whole node)
    if [ "$ACCOUNTING" = 1 ]; then
        accounting="AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=127.0.0.1
AccountingStoragePort=$DBD_PORT
# for auth/munge this is the munge socket used to talk to slurmdbd (not a password)
AccountingStoragePass=$MUNGE_SOCKET"
    else
        accounting="# no slurmdbd: sacct fails (\"Slurm accounting storage is disabled\")
AccountingStorageType=accounting_storage/none"
    fi
    mkdir -p "$DIR/run" "$DIR/log" "$DIR/state/slurmctld" "$DIR/state/slurmd"
    cat >"$CONF.new" <<EOF
# Generated by tests/slurm/cluster.sh for host $host (rewritten by \`start\` when nothing runs).
ClusterName=parity
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
# a private munged; cred_expire+1 s is also how long a requeued job waits (Reason=BeginTime)
AuthInfo=socket=$MUNGE_SOCKET,cred_expire=$CRED_EXPIRE

StateSaveLocation=$DIR/state/slurmctld
SlurmdSpoolDir=$DIR/state/slurmd
SlurmctldPidFile=$CTLD_PID
SlurmdPidFile=$SLURMD_PID
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
PlugStackConfig=$DIR/plugstack.conf
MailProg=/bin/true

# no cgroups (container / VM without systemd)
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
MpiDefault=none
SwitchType=switch/none
$accounting
# one line per finished job, whatever the accounting
JobCompType=jobcomp/filetxt
JobCompLoc=$DIR/log/jobcomp.txt

SchedulerType=sched/backfill
# main and backfill passes every 2 s (defaults 60 s and 30 s): a requeued job starts within ~2 s
# of its BeginTime instead of up to a minute later
SchedulerParameters=sched_interval=2,bf_interval=2
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=$def_mem
# finished jobs stay visible to squeue -t all / scontrol show job this long (seconds)
MinJobAge=600
ReturnToService=2
# trust the CPUs/RealMemory below over what slurmd detects (no drain on a mismatch)
SlurmdParameters=config_overrides

# batch jobs are requeueable by default (scontrol requeue, preemption); KillWait: seconds from
# SIGTERM to SIGKILL when a job is cancelled, requeued or preempted
JobRequeue=1
KillWait=$KILL_WAIT
PreemptType=preempt/partition_prio
PreemptMode=REQUEUE

NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$real_mb State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP PriorityTier=1 PreemptMode=REQUEUE
# a higher tier: a job here preempts (requeues) debug jobs holding the cores it needs
PartitionName=urgent Nodes=$host Default=NO MaxTime=INFINITE State=UP PriorityTier=10 PreemptMode=OFF
EOF
    mv "$CONF.new" "$CONF"
    : >"$DIR/plugstack.conf"   # instead of /etc/slurm/plugstack.conf
}

start_munge() {
    mkdir -p "$MUNGE_DIR"
    chmod 755 "$DIR" "$MUNGE_DIR"  # munged wants the socket's directory searchable by all
    if [ ! -s "$MUNGE_DIR/munge.key" ]; then
        mungekey --create --keyfile="$MUNGE_DIR/munge.key" --bits=1024 2>/dev/null \
            || dd if=/dev/urandom of="$MUNGE_DIR/munge.key" bs=128 count=1 status=none
        chmod 600 "$MUNGE_DIR/munge.key"
    fi
    live_pid "$MUNGE_PID" munged >/dev/null && return 0
    rm -f "$MUNGE_SOCKET" "$MUNGE_SOCKET.lock"
    "$SBIN/munged" --socket="$MUNGE_SOCKET" --key-file="$MUNGE_DIR/munge.key" --pid-file="$MUNGE_PID" \
        --log-file="$DIR/log/munged.log" --seed-file="$MUNGE_DIR/munged.seed" --num-threads=4 \
        || die "munged did not start: see $DIR/log/munged.log"
    munge -S "$MUNGE_SOCKET" -n </dev/null | unmunge -S "$MUNGE_SOCKET" >/dev/null \
        || die "munge credential round trip failed: see $DIR/log/munged.log"
    say "started munged (pid $(cat "$MUNGE_PID"))"
}

sql() { mariadb --no-defaults --socket="$DB_SOCKET" -u root "$@"; }

start_db() {
    mkdir -p "$DB_DIR"
    chmod 700 "$DB_DIR"
    if [ ! -d "$DB_DIR/data/mysql" ]; then
        mariadb-install-db --no-defaults --user=root --datadir="$DB_DIR/data" --skip-test-db \
            --auth-root-authentication-method=socket >"$DB_DIR/install.log" 2>&1 \
            || die "mariadb-install-db failed: see $DB_DIR/install.log"
    fi
    [ -s "$DB_DIR/password" ] || { od -An -N12 -tx1 /dev/urandom | tr -d ' \n' >"$DB_DIR/password"; chmod 600 "$DB_DIR/password"; }
    if ! live_pid "$DB_PID" mariadbd >/dev/null; then
        # --no-defaults: nothing from /etc/mysql; TCP on 127.0.0.1 only (slurmdbd has no socket option)
        setsid "$SBIN/mariadbd" --no-defaults --user=root --datadir="$DB_DIR/data" --socket="$DB_SOCKET" \
            --port="$DB_PORT" --bind-address=127.0.0.1 --skip-name-resolve --pid-file="$DB_PID" \
            --log-error="$DB_DIR/mariadbd.log" --innodb-buffer-pool-size=64M --innodb-lock-wait-timeout=900 \
            </dev/null >/dev/null 2>&1 &
        wait_until "$START_TIMEOUT" "mariadbd" sql -e 'SELECT 1'
        started "$DB_PID" mariadbd
    fi
    local password
    password="$(cat "$DB_DIR/password")"
    sql -e "CREATE DATABASE IF NOT EXISTS slurm_acct_db;
        CREATE USER IF NOT EXISTS 'slurm'@'127.0.0.1';
        ALTER USER 'slurm'@'127.0.0.1' IDENTIFIED BY '$password';
        GRANT ALL ON slurm_acct_db.* TO 'slurm'@'127.0.0.1';" || die "could not set up the slurm database"
}

start_dbd() {
    cat >"$DBD_CONF.new" <<EOF
# Generated by tests/slurm/cluster.sh
AuthType=auth/munge
AuthInfo=socket=$MUNGE_SOCKET
DbdHost=localhost
DbdAddr=127.0.0.1
DbdPort=$DBD_PORT
SlurmUser=root
LogFile=$DIR/log/slurmdbd.log
PidFile=$DBD_PID
DebugLevel=info
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort=$DB_PORT
StorageUser=slurm
StoragePass=$(cat "$DB_DIR/password")
StorageLoc=slurm_acct_db
EOF
    chmod 600 "$DBD_CONF.new"  # slurmdbd refuses a slurmdbd.conf others can read
    mv "$DBD_CONF.new" "$DBD_CONF"
    live_pid "$DBD_PID" slurmdbd >/dev/null && return 0
    "$SBIN/slurmdbd" || die "slurmdbd did not start: see $DIR/log/slurmdbd.log"  # finds slurmdbd.conf next to $SLURM_CONF
    # the first start creates the tables (a few seconds)
    wait_until "$START_TIMEOUT" "slurmdbd" sacctmgr -n list cluster
    started "$DBD_PID" slurmdbd
}

node_state() { sinfo -h -p debug -o %T 2>/dev/null | head -1; }

cmd_start() {
    need_root
    have_slurm || die "SLURM is not installed: run '$0 install'"
    [ "$ACCOUNTING" != 1 ] || have_accounting \
        || die "slurmdbd/mariadb-server not installed: run '$0 install' (or PARITY_SLURM_ACCOUNTING=0)"
    local t0=$SECONDS
    mkdir -p "$DIR"
    if live_pid "$CTLD_PID" slurmctld >/dev/null || live_pid "$SLURMD_PID" slurmd >/dev/null; then
        [ -s "$CONF" ] || die "slurm daemons run but $CONF is missing: '$0 stop' first"
        ACCOUNTING=0; accounting_on && ACCOUNTING=1   # keep the configuration they run with
    else
        write_conf
    fi
    start_munge
    if [ "$ACCOUNTING" = 1 ]; then
        start_db
        start_dbd
    fi
    if ! live_pid "$CTLD_PID" slurmctld >/dev/null; then
        "$SBIN/slurmctld" -f "$CONF" || die "slurmctld did not start: see $DIR/log/slurmctld.log"
        started "$CTLD_PID" slurmctld
    fi
    if ! live_pid "$SLURMD_PID" slurmd >/dev/null; then
        "$SBIN/slurmd" -f "$CONF" || die "slurmd did not start: see $DIR/log/slurmd.log"
        started "$SLURMD_PID" slurmd
    fi
    local state="" deadline=$((SECONDS + START_TIMEOUT))
    while [ $SECONDS -lt $deadline ]; do
        state="$(node_state)"
        case "$state" in
            idle|mixed|allocated|completing) break ;;
            *drain*|down*)  # e.g. left down by an unclean stop: bring it back
                scontrol update nodename="$(hostname -s)" state=resume >/dev/null 2>&1 || true ;;
        esac
        sleep 0.2
    done
    case "$state" in
        idle|mixed|allocated|completing) ;;
        *) die "node not up after ${START_TIMEOUT}s (sinfo: '${state:-no answer}'): see $DIR/log/" ;;
    esac
    if [ "$ACCOUNTING" = 1 ]; then  # slurmctld registers the cluster with slurmdbd as it starts
        wait_until 30 "accounting (sacct)" sacct -n -X -j 1
    fi
    say "up after $((SECONDS - t0)) s: node $(hostname -s) $state, partitions debug (default) and urgent, accounting $([ "$ACCOUNTING" = 1 ] && echo on || echo off)"
    echo "export SLURM_CONF=$CONF"
}

cmd_stop() {
    need_root
    if live_pid "$CTLD_PID" slurmctld >/dev/null; then
        # jobs left running would outlive slurmd (their slurmstepd keeps going)
        local jobs i
        jobs="$(squeue -h -o %A 2>/dev/null | sort -u | tr '\n' ' ')"
        if [ -n "${jobs// /}" ]; then
            say "cancelling jobs: $jobs"
            scancel --full $jobs 2>/dev/null || true
            for i in $(seq 1 $(( (KILL_WAIT + 10) * 5 ))); do
                [ -z "$(squeue -h -o %A 2>/dev/null)" ] && break
                sleep 0.2
            done
        fi
    fi
    stop_pids "$SLURMD_PID" slurmd "$CTLD_PID" slurmctld
    # a job step daemon of this cluster that survived (its environment names our slurm.conf)
    local pid
    for pid in $(pgrep -x slurmstepd 2>/dev/null || true); do
        if tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qx "SLURM_CONF=$CONF"; then
            say "killing leftover slurmstepd $pid"
            kill -KILL "$pid" 2>/dev/null || true
        fi
    done
    stop_pids "$DBD_PID" slurmdbd
    stop_pids "$DB_PID" mariadbd "$MUNGE_PID" munged
}

cmd_status() {
    local rc=0 name file pid names=(munged slurmctld slurmd)
    accounting_on && names=(munged mariadbd slurmdbd slurmctld slurmd)
    for name in "${names[@]}"; do
        case $name in
            munged) file=$MUNGE_PID ;;
            mariadbd) file=$DB_PID ;;
            slurmdbd) file=$DBD_PID ;;
            slurmctld) file=$CTLD_PID ;;
            slurmd) file=$SLURMD_PID ;;
        esac
        if pid="$(live_pid "$file" "$name")"; then
            echo "$name: running (pid $pid)"
        else
            echo "$name: stopped"
            rc=3
        fi
    done
    echo "SLURM_CONF=$CONF"
    if [ $rc -eq 0 ]; then
        sinfo || rc=3
        squeue || rc=3
    fi
    return $rc
}

cmd_purge() {
    cmd_stop
    case "$DIR" in
        /|/tmp|/root|/home|/var|/usr|/etc|"") die "refusing to delete '$DIR'" ;;
    esac
    rm -rf -- "$DIR"
    say "removed $DIR"
}

case "${1:-}" in
    install) cmd_install ;;
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    env) echo "export SLURM_CONF=$CONF" ;;
    purge) cmd_purge ;;
    *) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
