#!/usr/bin/env bash
# A single-node Slurm with accounting on this machine, for the launcher's integration test:
#   scripts/slurm/start.sh            # prints the partition name on stdout
#   export SLURM_CONF=/tmp/vae-study-slurm/slurm.conf
#   sinfo; vae-study -m study=mini hydra/launcher=slurm hydra.launcher.partition=local ...
#   scripts/slurm/stop.sh             # ends the daemons this script started
#
# Runs as root (SlurmUser=root; jobs run as root). Idempotent: a daemon whose PID file in the
# state dir names a live process is left alone; configs, the munge key and the database are
# created once and kept. Missing Debian packages are installed (apt-get update only when a
# package is not found). Everything lives under the state dir: configs, munge key and socket,
# MariaDB data, Slurm spool and state, logs, and one PID file per daemon in run/ (stop.sh reads
# them). Start from scratch with: stop.sh && rm -rf "$VAE_STUDY_SLURM_DIR" && start.sh
#
# Environment (defaults in brackets):
#   VAE_STUDY_SLURM_DIR        state dir [/tmp/vae-study-slurm]
#   VAE_STUDY_SLURM_PARTITION  partition name [local]
#   VAE_STUDY_SLURM_CPUS       the node's CPUs [nproc]
#   VAE_STUDY_SLURM_MEM_MB     the node's RealMemory in MB [80% of MemTotal]
#   VAE_STUDY_SLURM_DB_PORT    MariaDB's TCP port on 127.0.0.1 [13306]
#   VAE_STUDY_SLURM_WAIT_S     how long to wait for the node to be idle [90]
# Slurm's own ports are the defaults: slurmctld 6817, slurmd 6818, slurmdbd 6819.
set -euo pipefail

STATE=${VAE_STUDY_SLURM_DIR:-/tmp/vae-study-slurm}
PARTITION=${VAE_STUDY_SLURM_PARTITION:-local}
CPUS=${VAE_STUDY_SLURM_CPUS:-$(nproc)}
MEM_MB=${VAE_STUDY_SLURM_MEM_MB:-$(awk '/^MemTotal:/ {print int($2 / 1024 * 0.8)}' /proc/meminfo)}
DB_PORT=${VAE_STUDY_SLURM_DB_PORT:-13306}
WAIT_S=${VAE_STUDY_SLURM_WAIT_S:-90}
CLUSTER=vaestudy
NODE=$(hostname -s)
PACKAGES=(munge slurm-client slurmctld slurmd slurmdbd mariadb-server)

say() { echo "slurm/start: $*" >&2; }
die() { say "error: $*"; exit 1; }

# die with the last lines of a log file
die_log() {
    local message=$1 log=$2
    say "error: $message"
    if [[ -s $log ]]; then
        say "last lines of $log:"
        tail -n 25 "$log" | sed 's/^/    /' >&2
    fi
    exit 1
}

# wait_for SECONDS DESCRIPTION LOG COMMAND...: run COMMAND every 0.5 s until it succeeds
wait_for() {
    local seconds=$1 what=$2 log=$3
    shift 3
    local deadline=$((SECONDS + seconds))
    until "$@" >"$STATE/log/last-check.out" 2>&1; do
        # a config error will not go away by waiting
        if ((SECONDS >= deadline)) || grep -q 'fatal:' "$STATE/log/last-check.out"; then
            say "the check's last output ($*):"
            tail -n 5 "$STATE/log/last-check.out" | sed 's/^/    /' >&2
            die_log "$what did not happen (waited up to ${seconds}s)" "$log"
        fi
        sleep 0.5
    done
}

# alive NAME: the PID file run/NAME.pid names a live (not zombie) process called NAME
alive() {
    local pidfile=$STATE/run/$1.pid pid
    [[ -s $pidfile ]] || return 1
    pid=$(<"$pidfile")
    [[ $pid =~ ^[0-9]+$ ]] && [[ -r /proc/$pid/comm ]] && [[ $(</proc/"$pid"/comm) == "$1" ]] &&
        [[ $(awk '{print $3}' /proc/"$pid"/stat 2>/dev/null) != Z ]]
}

# the daemon named $1 is running and was started by us (or is started now); $2 its log
require_alive() {
    wait_for 20 "$1 writing its PID file ($STATE/run/$1.pid)" "$2" alive "$1"
    say "$1 running (pid $(<"$STATE/run/$1.pid"))"
}

[[ $(id -u) -eq 0 ]] || die "run as root (SlurmUser=root; the daemons and jobs run as root)"

# --- packages -----------------------------------------------------------------------------
missing=()
for package in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' ||
        missing+=("$package")
done
if ((${#missing[@]})); then
    say "installing ${missing[*]}"
    apt_install() {
        DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" \
            >"$1" 2>&1
    }
    apt_log=$(mktemp)
    if ! apt_install "$apt_log"; then
        if grep -qE 'Unable to locate package|has no installation candidate' "$apt_log"; then
            say "a package was not found: apt-get update"
            apt-get update >"$apt_log" 2>&1 || die_log "apt-get update failed" "$apt_log"
            apt_install "$apt_log" || die_log "apt-get install ${missing[*]} failed" "$apt_log"
        else
            die_log "apt-get install ${missing[*]} failed" "$apt_log"
        fi
    fi
    rm -f "$apt_log"
fi
for command in munged mariadbd mariadb-install-db mariadb slurmdbd slurmctld slurmd sinfo sacctmgr; do
    command -v "$command" >/dev/null || die "$command not found after installing ${PACKAGES[*]}"
done

# --- state dir and configs (written once) ---------------------------------------------------
# munged wants the socket's folder searchable by all and no folder above it writable by others
# without the sticky bit: the state dir is 755, its secrets are 600/400 files.
mkdir -p "$STATE"/{run,log,munge,ctld,spool,mysql}
chmod 755 "$STATE" "$STATE/munge"
chmod 700 "$STATE/ctld" "$STATE/spool"
export SLURM_CONF=$STATE/slurm.conf
MUNGE_SOCKET=$STATE/munge/munge.socket
DB_SOCKET=$STATE/mysql/mysqld.sock

if [[ ! -s $STATE/munge/munge.key ]]; then
    dd if=/dev/urandom of="$STATE/munge/munge.key.tmp" bs=1024 count=1 status=none
    chmod 400 "$STATE/munge/munge.key.tmp"
    mv "$STATE/munge/munge.key.tmp" "$STATE/munge/munge.key"
fi
if [[ ! -s $STATE/db.password ]]; then
    (umask 077 && head -c 18 /dev/urandom | base64 | tr -d '/+=' >"$STATE/db.password")
fi
DB_PASSWORD=$(<"$STATE/db.password")

if [[ ! -s $STATE/slurm.conf ]]; then
    cat >"$STATE/slurm.conf.tmp" <<EOF
# Written by scripts/slurm/start.sh: a single-node cluster for vae-study's integration test.
ClusterName=$CLUSTER
SlurmctldHost=$NODE(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$MUNGE_SOCKET
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/spool
SlurmctldPidFile=$STATE/run/slurmctld.pid
SlurmdPidFile=$STATE/run/slurmd.pid
SlurmctldLogFile=$STATE/log/slurmctld.log
SlurmdLogFile=$STATE/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
SlurmdParameters=config_overrides
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=127.0.0.1
AccountingStoragePort=6819
# with slurmdbd this is the munge socket to reach it with, not a password
AccountingStoragePass=$MUNGE_SOCKET
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
KillWait=5
MailProg=/bin/true
MinJobAge=60
InactiveLimit=0
NodeName=$NODE NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=$MEM_MB State=UNKNOWN
PartitionName=$PARTITION Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
EOF
    mv "$STATE/slurm.conf.tmp" "$STATE/slurm.conf"
fi
if [[ ! -s $STATE/slurmdbd.conf ]]; then
    (umask 077 && cat >"$STATE/slurmdbd.conf.tmp" <<EOF
# Written by scripts/slurm/start.sh. slurmdbd reads it from SLURM_CONF's folder.
AuthType=auth/munge
AuthInfo=socket=$MUNGE_SOCKET
DbdAddr=127.0.0.1
DbdHost=localhost
DbdPort=6819
SlurmUser=root
LogFile=$STATE/log/slurmdbd.log
PidFile=$STATE/run/slurmdbd.pid
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort=$DB_PORT
StorageUser=slurm
StoragePass=$DB_PASSWORD
StorageLoc=slurm_acct_db
EOF
    )
    mv "$STATE/slurmdbd.conf.tmp" "$STATE/slurmdbd.conf"
fi
chmod 600 "$STATE/slurmdbd.conf"

cd "$STATE"  # the daemons' working directory

# --- munged -----------------------------------------------------------------------------------
if ! alive munged; then
    munged --force --num-threads=10 --socket="$MUNGE_SOCKET" --key-file="$STATE/munge/munge.key" \
        --pid-file="$STATE/run/munged.pid" --seed-file="$STATE/munge/munged.seed" \
        --log-file="$STATE/log/munged.log" </dev/null >>"$STATE/log/munged.out" 2>&1 ||
        die_log "munged did not start" "$STATE/log/munged.log"
fi
require_alive munged "$STATE/log/munged.log"

# --- MariaDB: its own data dir, socket and port ------------------------------------------------
if [[ ! -d $STATE/mysql/data/mysql ]]; then
    say "initialising MariaDB in $STATE/mysql/data"
    rm -rf "$STATE/mysql/data"
    mariadb-install-db --no-defaults --user=root --datadir="$STATE/mysql/data" \
        --auth-root-authentication-method=socket --skip-test-db \
        >"$STATE/log/mariadb-install.log" 2>&1 ||
        die_log "mariadb-install-db failed" "$STATE/log/mariadb-install.log"
fi
if ! alive mariadbd; then
    # setsid: its own session, so nothing of the caller's terminal or process group reaches it
    setsid mariadbd --no-defaults --user=root --datadir="$STATE/mysql/data" \
        --socket="$DB_SOCKET" --port="$DB_PORT" --bind-address=127.0.0.1 --skip-name-resolve \
        --pid-file="$STATE/run/mariadbd.pid" --log-error="$STATE/log/mariadbd.log" \
        --innodb-buffer-pool-size=128M --innodb-lock-wait-timeout=900 \
        </dev/null >>"$STATE/log/mariadbd.out" 2>&1 &
fi
wait_for 60 "MariaDB answering on $DB_SOCKET" "$STATE/log/mariadbd.log" \
    mariadb-admin --no-defaults --socket="$DB_SOCKET" -u root ping
require_alive mariadbd "$STATE/log/mariadbd.log"
mariadb --no-defaults --socket="$DB_SOCKET" -u root >"$STATE/log/mariadb-setup.log" 2>&1 <<EOF ||
CREATE DATABASE IF NOT EXISTS slurm_acct_db;
CREATE USER IF NOT EXISTS 'slurm'@'127.0.0.1' IDENTIFIED BY '$DB_PASSWORD';
ALTER USER 'slurm'@'127.0.0.1' IDENTIFIED BY '$DB_PASSWORD';
GRANT ALL ON slurm_acct_db.* TO 'slurm'@'127.0.0.1';
EOF
    die_log "creating the slurm_acct_db database and its user failed" \
        "$STATE/log/mariadb-setup.log"

# --- slurmdbd, then the cluster's registration ---------------------------------------------
if ! alive slurmdbd; then
    slurmdbd </dev/null >>"$STATE/log/slurmdbd.out" 2>&1 ||
        die_log "slurmdbd did not start" "$STATE/log/slurmdbd.log"
fi
require_alive slurmdbd "$STATE/log/slurmdbd.log"
wait_for 60 "slurmdbd answering on 127.0.0.1:6819" "$STATE/log/slurmdbd.log" \
    sacctmgr -n list cluster
if ! sacctmgr -n -P list cluster format=cluster | grep -qx "$CLUSTER"; then
    sacctmgr -i add cluster "$CLUSTER" >"$STATE/log/sacctmgr.log" 2>&1 ||
        die_log "sacctmgr add cluster $CLUSTER failed" "$STATE/log/sacctmgr.log"
    say "cluster $CLUSTER registered"
fi

# --- slurmctld, slurmd ---------------------------------------------------------------------
if ! alive slurmctld; then
    slurmctld </dev/null >>"$STATE/log/slurmctld.out" 2>&1 ||
        die_log "slurmctld did not start" "$STATE/log/slurmctld.log"
fi
require_alive slurmctld "$STATE/log/slurmctld.log"
if ! alive slurmd; then
    slurmd </dev/null >>"$STATE/log/slurmd.out" 2>&1 ||
        die_log "slurmd did not start" "$STATE/log/slurmd.log"
fi
require_alive slurmd "$STATE/log/slurmd.log"

node_idle() {
    # idle, or mix/alloc when jobs run on it already (a second start.sh during a test)
    [[ $(sinfo -h -n "$NODE" -o '%t' 2>/dev/null) =~ ^(idle|mix|alloc)$ ]]
}
deadline=$((SECONDS + WAIT_S))
until node_idle; do
    if ((SECONDS >= deadline)); then
        say "sinfo: $(sinfo -N 2>&1 | tr '\n' ' ')"
        die_log "node $NODE not idle within ${WAIT_S}s" "$STATE/log/slurmd.log"
    fi
    # a node left DOWN by an earlier run of this cluster comes back once slurmd answers
    if [[ $(sinfo -h -n "$NODE" -o '%t' 2>/dev/null) =~ ^(down|drain|drng|inval) ]]; then
        scontrol update nodename="$NODE" state=resume >/dev/null 2>&1 || true
    fi
    sleep 0.5
done
say "node $NODE idle after ${SECONDS}s; export SLURM_CONF=$SLURM_CONF"
echo "$PARTITION"
