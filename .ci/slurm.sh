#!/usr/bin/env bash
# A one-node Slurm on this machine for the sweep tests (RunSweepOnSlurmTests): `start` installs Debian's slurm-wlm
# and munge if needed, writes a slurm.conf for this host and starts munged, slurmctld and slurmd; `stop` stops them
# by their PID files. Needs root (as CI and the development machines have). State lives under /tmp/coin-slurm.
set -uo pipefail
state=/tmp/coin-slurm
case "${1:-}" in
  start)
    if ! command -v slurmctld > /dev/null || ! command -v munged > /dev/null; then
      (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge) > /tmp/coin-slurm-install.log 2>&1 \
        || { echo "slurm: install failed (see /tmp/coin-slurm-install.log)"; exit 1; }
    fi
    mkdir -p "$state"/{spool,ctld} /etc/slurm /run/munge /var/log/munge /var/lib/munge
    [ -s /etc/munge/munge.key ] || { mkdir -p /etc/munge; dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 2> /dev/null; }
    chown -R root:root /etc/munge /run/munge /var/log/munge /var/lib/munge; chmod 700 /etc/munge; chmod 400 /etc/munge/munge.key
    host=$(hostname -s)
    cat > /etc/slurm/slurm.conf <<CONF
ClusterName=coin
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
# A test cluster: schedule every second, not every minute (the default), so a requeued cell starts at once.
SchedulerParameters=sched_interval=1,bf_interval=1
StateSaveLocation=$state/ctld
SlurmdSpoolDir=$state/spool
SlurmctldPidFile=$state/slurmctld.pid
SlurmdPidFile=$state/slurmd.pid
SlurmctldLogFile=$state/slurmctld.log
SlurmdLogFile=$state/slurmd.log
ReturnToService=2
JobRequeue=1
MinJobAge=600
NodeName=$host CPUs=$(nproc) RealMemory=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 1024 )) State=UNKNOWN
PartitionName=main Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
    # munged is started only when none runs, and its PID kept: `stop` ends the one this script started, never
    # another Slurm's on the same machine.
    if ! pgrep -x munged > /dev/null; then
      munged --force && sleep 0.2 && pgrep -n -x munged > "$state/munged.pid"
    fi
    pgrep -x slurmctld > /dev/null || slurmctld
    pgrep -x slurmd > /dev/null || slurmd
    for _ in $(seq 1 30); do
      sinfo -h -o '%T' 2> /dev/null | grep -qE '^idle' && { echo "slurm: one node up ($host)"; exit 0; }
      sleep 1
    done
    echo "slurm: the node did not come up"; sinfo 2>&1; tail -5 "$state"/*.log; exit 1
    ;;
  stop)
    pids=()
    for daemon in slurmd slurmctld; do
      [ -f "$state/$daemon.pid" ] && pids+=("$(cat "$state/$daemon.pid")")
    done
    [ ${#pids[@]} -gt 0 ] && kill "${pids[@]}" 2> /dev/null
    # slurmctld writes its state as it shuts down: removing the folder before it has exited races with it.
    for _ in $(seq 50); do
      alive=0
      for pid in "${pids[@]}"; do kill -0 "$pid" 2> /dev/null && alive=1; done
      [ "$alive" -eq 0 ] && break
      sleep 0.2
    done
    [ -f "$state/munged.pid" ] && kill "$(cat "$state/munged.pid")" 2> /dev/null
    rm -rf "$state"
    echo "slurm: stopped"
    ;;
  *) echo "usage: $0 start|stop"; exit 2 ;;
esac
