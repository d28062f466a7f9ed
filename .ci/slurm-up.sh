#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, for tests/slurm.rs (issue #13).
# Run as root. Idempotent: does nothing when `sinfo` already shows the node idle.
# Installs Debian's slurm-wlm and munge if missing, writes /etc/slurm/slurm.conf
# (proctrack/linuxproc, task/none, select/cons_tres, state and spool under
# $CSNAS_SLURM_DIR, one node with every core, one partition), starts munged as
# the munge user, then slurmctld and slurmd, and waits for the node to be idle.
set -euo pipefail

state() { sinfo -h -o '%t' 2>/dev/null | head -1 || true; }
if command -v sinfo >/dev/null && [ "$(state)" = idle ]; then
  echo "slurm-up: the cluster is already up"; exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "slurm-up: run as root (installs packages, starts daemons)" >&2; exit 1
fi
if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null
fi

dir=${CSNAS_SLURM_DIR:-/tmp/csnas-slurm}
host=$(hostname -s)
mkdir -p "$dir/state" "$dir/spool" /etc/slurm
cat > /etc/slurm/slurm.conf <<CONF
ClusterName=csnas
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
NodeName=$host NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF

# munge: a key if there is none, the daemon as the munge user.
[ -s /etc/munge/munge.key ] || mungekey -c
chown munge:munge /etc/munge/munge.key && chmod 400 /etc/munge/munge.key
mkdir -p /run/munge /var/log/munge /var/lib/munge
chown munge:munge /run/munge /var/log/munge /var/lib/munge
if ! pgrep -u munge -x munged >/dev/null; then
  runuser -u munge -- /usr/sbin/munged
fi

pgrep -x slurmctld >/dev/null || slurmctld
pgrep -x slurmd >/dev/null || slurmd

for _ in $(seq 1 60); do
  s=$(state)
  if [ "$s" = idle ]; then
    echo "slurm-up: node $host idle ($(nproc) CPUs); logs in $dir"
    exit 0
  fi
  # A node that was down (an earlier run) comes back.
  case "$s" in down*|drain*|unk*) scontrol update nodename="$host" state=resume 2>/dev/null || true;; esac
  sleep 1
done
echo "slurm-up: the node did not become idle; sinfo:" >&2
sinfo >&2 || true
tail -20 "$dir/slurmctld.log" "$dir/slurmd.log" >&2 || true
exit 1
