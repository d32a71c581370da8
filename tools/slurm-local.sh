#!/usr/bin/env bash
# A private one-node Slurm cluster on this machine, for trying `reglab slurm submit` and for the
# Slurm test (tests/slurm/test_slurm.sh). Debian 12, as root, no systemd needed.
#
#   bash tools/slurm-local.sh up       install if missing, start munged + slurmctld + slurmd,
#                                      wait until the node is idle; prints the line to eval:
#                                        eval "$(bash tools/slurm-local.sh up)"
#   bash tools/slurm-local.sh status   daemons, node and queue
#   bash tools/slurm-local.sh down     cancel the jobs, stop the daemons this script started (by
#                                      their recorded PIDs), delete the scratch folder
#
# Everything lives in a scratch folder (REGLAB_SLURM_DIR, default /tmp/reglab-slurm): slurm.conf,
# a private munge key and socket, state, spool, logs and PID files. Nothing under /etc is touched
# except /etc/hosts, which gets "127.0.0.1 <hostname>" if the hostname does not resolve. `up` is
# re-runnable: it first stops what an earlier `up` with the same folder left running.
#
# Environment:
#   REGLAB_SLURM_DIR      scratch folder                      (default /tmp/reglab-slurm)
#   REGLAB_SLURM_PORT     slurmctld port; slurmd uses port + 1 (default 6817)
#   REGLAB_SLURM_INSTALL  0 = never run apt-get               (default 1)
#   REGLAB_SLURM_MAX_ARRAY_SIZE  MaxArraySize: array task ids 0 .. N - 1 (default Slurm's, 1001)
# Messages go to stderr; `up` prints only "export SLURM_CONF=..." on stdout.
set -euo pipefail

base=${REGLAB_SLURM_DIR:-/tmp/reglab-slurm}
port=${REGLAB_SLURM_PORT:-6817}
install=${REGLAB_SLURM_INSTALL:-1}
max_array_size=${REGLAB_SLURM_MAX_ARRAY_SIZE:-1001}
conf=$base/etc/slurm.conf
sock=$base/munge/munge.socket
export SLURM_CONF=$conf

log() { echo "[slurm-local] $*" >&2; }
die() {
  log "error: $*"
  local f
  for f in "$base"/log/*; do
    [ -f "$f" ] || continue
    echo "----- $f (last lines)" >&2
    tail -n 20 "$f" >&2 || true
  done
  exit 1
}

install_packages() {
  if command -v slurmctld > /dev/null && command -v slurmd > /dev/null &&
    command -v sbatch > /dev/null && command -v munged > /dev/null; then
    return 0
  fi
  [ "$install" = 1 ] || die "slurmctld, slurmd, slurm-client or munge missing (REGLAB_SLURM_INSTALL=0)"
  local sudo_cmd=()
  [ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
  log "installing slurmctld slurmd slurm-client munge (apt-get, no recommends)"
  export DEBIAN_FRONTEND=noninteractive
  for _ in 1 2 3 4 5 6; do
    if "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends \
      slurmctld slurmd slurm-client munge > "$base/apt.log" 2>&1; then
      break
    fi
    # a stale package list (fresh machine) or a dpkg lock held by someone else: retry
    if grep -q 'Unable to locate\|404\|Failed to fetch' "$base/apt.log"; then
      "${sudo_cmd[@]}" apt-get update -q > /dev/null 2>&1 || true
    fi
    sleep 5
  done
  command -v slurmctld > /dev/null || {
    cat "$base/apt.log" >&2
    die "apt-get install failed"
  }
}

# stop NAME...: TERM the daemons recorded in $base/run/NAME.pid (only if that PID still runs
# NAME), wait up to 10 s, then KILL.
stop() {
  local name pid pids=() alive
  for name in "$@"; do
    [ -s "$base/run/$name.pid" ] || continue
    pid=$(tr -dc 0-9 < "$base/run/$name.pid")
    if [ -n "$pid" ] && [ "$(ps -o comm= -p "$pid" 2> /dev/null || true)" = "$name" ]; then
      kill -TERM "$pid" 2> /dev/null || true
      pids+=("$pid")
    fi
    rm -f "$base/run/$name.pid"
  done
  [ ${#pids[@]} -gt 0 ] || return 0
  for _ in $(seq 100); do
    alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2> /dev/null && alive=1; done
    [ $alive = 0 ] && return 0
    sleep 0.1
  done
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2> /dev/null || true; done
}

running() { # running NAME: the recorded daemon is alive
  local pid
  [ -s "$base/run/$1.pid" ] || return 1
  pid=$(tr -dc 0-9 < "$base/run/$1.pid")
  [ -n "$pid" ] && [ "$(ps -o comm= -p "$pid" 2> /dev/null || true)" = "$1" ]
}

do_down() {
  [ -d "$base" ] || return 0
  if running slurmctld && running munged; then
    # cancel every job and let slurmd reap the job steps before it stops
    timeout 5 scancel --quiet --full --user="$(id -un)" 2> /dev/null || true
    for _ in $(seq 50); do
      [ -z "$(timeout 2 squeue -h 2> /dev/null)" ] && break
      sleep 0.2
    done
  fi
  stop slurmd slurmctld # the Slurm daemons first: they use munged while stopping
  stop munged
  rm -rf "$base"
  log "down"
}

write_config() {
  local host topo mem cpus
  host=$(hostname -s 2> /dev/null || hostname)
  # the node's real topology; keep 5% of the memory in reserve
  topo=$(slurmd -C 2> /dev/null | head -1 || true)
  mem=$(echo "$topo" | sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p')
  mem=$((${mem:-1024} * 95 / 100))
  cpus=$(echo "$topo" | grep -o 'CPUs=[0-9]* Boards=[0-9]* SocketsPerBoard=[0-9]* CoresPerSocket=[0-9]* ThreadsPerCore=[0-9]*' ||
    echo "CPUs=$(nproc)")
  node=$host
  cat > "$conf" << EOF
# written by reglab tools/slurm-local.sh: a private one-node cluster
ClusterName=reglab-local
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=$(id -un)
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$sock
StateSaveLocation=$base/state
SlurmdSpoolDir=$base/spool
SlurmctldPidFile=$base/state/slurmctld.pid
SlurmdPidFile=$base/spool/slurmd.pid
SlurmctldLogFile=$base/log/slurmctld.log
SlurmdLogFile=$base/log/slurmd.log
# no cgroups, no accounting
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SwitchType=switch/none
MpiDefault=none
MailProg=/bin/true
# schedule at once on submission and completion (the defaults delay array tasks by seconds)
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0
# cores and memory are consumable: with 256 MB per CPU by default, each core runs one task
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=256
ReturnToService=2
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
KillWait=5
MinJobAge=30
MessageTimeout=10
MaxArraySize=$max_array_size
NodeName=$host NodeAddr=127.0.0.1 NodeHostname=$host $cpus RealMemory=$mem State=UNKNOWN
PartitionName=local Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
EOF
  : > "$base/etc/plugstack.conf" # keeps slurmd from reading /etc/slurm/plugstack.conf
}

start_munge() {
  dd if=/dev/urandom of="$base/munge/munge.key" bs=1024 count=1 status=none
  chmod 400 "$base/munge/munge.key"
  munged --foreground --force --socket="$sock" --key-file="$base/munge/munge.key" \
    --pid-file="$base/munge/munged.pid" --log-file="$base/log/munged.log" \
    --seed-file="$base/munge/munged.seed" >> "$base/log/munged.out" 2>&1 &
  echo $! > "$base/run/munged.pid"
  for _ in $(seq 100); do
    munge -S "$sock" -n 2> /dev/null | unmunge -S "$sock" > /dev/null 2>&1 && return 0
    running munged || die "munged exited"
    sleep 0.1
  done
  die "munged does not answer on $sock"
}

start_slurm() {
  local state
  # -D: foreground, so $! is the daemon; -c: start with a clean state; -i: ignore bad state
  slurmctld -D -c -i -f "$conf" >> "$base/log/slurmctld.out" 2>&1 &
  echo $! > "$base/run/slurmctld.pid"
  for _ in $(seq 150); do
    scontrol ping 2> /dev/null | grep -q 'is UP' && break
    running slurmctld || die "slurmctld exited"
    sleep 0.2
  done
  scontrol ping 2> /dev/null | grep -q 'is UP' || die "slurmctld does not answer"
  slurmd -D -f "$conf" -N "$node" >> "$base/log/slurmd.out" 2>&1 &
  echo $! > "$base/run/slurmd.pid"
  state=""
  for _ in $(seq 300); do
    state=$(sinfo -h -N -n "$node" -o %T 2> /dev/null | head -1 || true)
    [ "${state%%[~*#]}" = idle ] && return 0
    running slurmd || die "slurmd exited"
    sleep 0.2
  done
  die "node $node is not idle (state '$state')"
}

do_up() {
  local t0=$SECONDS host
  do_down
  mkdir -p "$base"/{etc,state,spool,log,run,munge}
  chmod 755 "$base" "$base/munge" # munged wants its socket folder reachable by all
  install_packages
  host=$(hostname -s 2> /dev/null || hostname)
  if ! getent hosts "$host" > /dev/null; then
    log "hostname '$host' does not resolve: adding '127.0.0.1 $host' to /etc/hosts"
    echo "127.0.0.1 $host" >> /etc/hosts
  fi
  write_config
  start_munge
  start_slurm
  log "up in $((SECONDS - t0)) s: node $node, $(sinfo -h -o '%c CPUs, %m MB' | head -1); conf $conf"
  echo "export SLURM_CONF=$conf"
}

do_status() {
  local name
  for name in munged slurmctld slurmd; do
    if running "$name"; then
      echo "$name: running (pid $(cat "$base/run/$name.pid"))"
    else
      echo "$name: not running"
    fi
  done
  if running slurmctld; then
    echo "export SLURM_CONF=$conf"
    sinfo -N -l || true
    squeue || true
  fi
}

case "${1:-}" in
  up) do_up ;;
  down) do_down ;;
  status) do_status ;;
  *)
    echo "usage: $0 up|down|status" >&2
    exit 2
    ;;
esac
