#!/usr/bin/env bash
# Ends the daemons scripts/slurm/start.sh started, and nothing else: each one named by a PID
# file in <state dir>/run/ whose process still has the daemon's name gets TERM, then KILL if it
# has not exited after VAE_STUDY_SLURM_STOP_WAIT_S. Jobs left on this private cluster are
# cancelled first (their slurmstepd processes would outlive slurmd). The state dir is kept
# (delete it for a fresh cluster). Safe to run when nothing is running.
#
# Environment: VAE_STUDY_SLURM_DIR [/tmp/vae-study-slurm], VAE_STUDY_SLURM_STOP_WAIT_S [20].
set -euo pipefail

STATE=${VAE_STUDY_SLURM_DIR:-/tmp/vae-study-slurm}
WAIT_S=${VAE_STUDY_SLURM_STOP_WAIT_S:-20}
# compute nodes first, the database last, munge after everything that authenticates with it
DAEMONS=(slurmd slurmctld slurmdbd mariadbd munged)

say() { echo "slurm/stop: $*" >&2; }

# pid_of NAME: the PID in run/NAME.pid if that process is alive and called NAME
pid_of() {
    local pidfile=$STATE/run/$1.pid pid
    [[ -s $pidfile ]] || return 1
    pid=$(<"$pidfile")
    [[ $pid =~ ^[0-9]+$ ]] && [[ -r /proc/$pid/comm ]] && [[ $(</proc/"$pid"/comm) == "$1" ]] &&
        [[ $(awk '{print $3}' /proc/"$pid"/stat 2>/dev/null) != Z ]] &&
        echo "$pid"
}

if [[ ! -d $STATE/run ]]; then
    say "no state dir $STATE: nothing to stop"
    exit 0
fi

# jobs still queued or running on our cluster (and only ours: SLURM_CONF is its config)
export SLURM_CONF=$STATE/slurm.conf
if pid_of slurmctld >/dev/null && [[ -s $SLURM_CONF ]]; then
    jobs=$(timeout 20 squeue -h -o %A 2>/dev/null | sort -u | tr '\n' ' ' || true)
    if [[ -n ${jobs// /} ]]; then
        say "cancelling jobs left on the cluster: $jobs"
        # shellcheck disable=SC2086  # one argument per job id
        timeout 20 scancel $jobs 2>/dev/null || true
        deadline=$((SECONDS + WAIT_S))
        while [[ -n $(timeout 20 squeue -h -o %A 2>/dev/null) ]] && ((SECONDS < deadline)); do
            sleep 0.5
        done
    fi
fi

status=0
for name in "${DAEMONS[@]}"; do
    if ! pid=$(pid_of "$name"); then
        rm -f "$STATE/run/$name.pid"
        continue
    fi
    kill -TERM "$pid" 2>/dev/null || true
    deadline=$((SECONDS + WAIT_S))
    while [[ -d /proc/$pid ]] && pid_of "$name" >/dev/null && ((SECONDS < deadline)); do
        sleep 0.2
    done
    if pid_of "$name" >/dev/null; then
        say "$name (pid $pid) still running after ${WAIT_S}s: KILL"
        kill -KILL "$pid" 2>/dev/null || true
        sleep 0.5
        if pid_of "$name" >/dev/null; then
            say "error: $name (pid $pid) survived KILL"
            status=1
            continue
        fi
    fi
    rm -f "$STATE/run/$name.pid"
    say "$name (pid $pid) stopped"
done
exit "$status"
