# A throwaway single-node Slurm cluster (munged + slurmctld + slurmd) kept entirely in one
# directory, for testing `fixar sweep run --slurm` against the real daemons. Run as root.
# Sourced by start-slurm.sh, stop-slurm.sh and end_to_end.sh (docs/scale-out.md):
#
#   slurm_start DIR    writes DIR/slurm.conf and a munge key, starts the three daemons in the
#                      background, waits until the node is idle; afterwards
#                      `export SLURM_CONF=DIR/slurm.conf` points sbatch, squeue, scontrol there
#   slurm_stop DIR     cancels every job, waits for them to end, stops the daemons, and kills
#                      whatever of this cluster is still left (by process id); idempotent
#   slurm_watchdog DIR PID   stops DIR's cluster once process PID has ended (if it is killed)
#
# Settings (environment): FIXAR_SLURM_CPUS (CPUs the node offers, default 4: short test runs
# may share cores), FIXAR_SLURM_PORT (slurmctld's port; slurmd takes the next one; default:
# the first free pair from a random start in 20000-39999), FIXAR_SLURM_TIMEOUT (seconds to
# wait for the node to become idle, default 60).

slurm_fail() {
  echo "slurm: $*" >&2
  return 1
}

slurm_port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

slurm_pid_alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }

slurm_read_pid() { [ -s "$1" ] && tr -dc '0-9' <"$1"; }

# The last lines of each log of DIR, for error messages.
slurm_logs_tail() {
  local f
  for f in "$1"/log/*; do
    [ -s "$f" ] || continue
    echo "--- last lines of $f:"
    tail -n 15 "$f"
  done
}

slurm_start() {
  local dir=${1:?slurm_start DIR}
  case $dir in /*) ;; *) dir=$PWD/$dir ;; esac
  [ "$(id -u)" -eq 0 ] ||
    slurm_fail "the daemons must run as root (slurmd starts jobs as their user); this is uid $(id -u)" || return
  PATH=$PATH:/usr/sbin:/sbin
  local b missing=()
  for b in munged mungekey slurmctld slurmd sbatch squeue sinfo scontrol scancel; do
    command -v "$b" >/dev/null || missing+=("$b")
  done
  ((${#missing[@]} == 0)) ||
    slurm_fail "missing programs: ${missing[*]} (Debian packages slurmctld slurmd slurm-client munge; scripts/setup installs them)" ||
    return
  if slurm_pid_alive "$(slurm_read_pid "$dir/slurmctld.pid")"; then
    slurm_fail "a Slurm of $dir is already running (slurmctld pid $(slurm_read_pid "$dir/slurmctld.pid")); stop it first: tests/sweep/slurm/stop-slurm.sh $dir"
    return
  fi
  local cpus=${FIXAR_SLURM_CPUS:-4}
  [[ $cpus =~ ^[1-9][0-9]*$ ]] || slurm_fail "FIXAR_SLURM_CPUS='$cpus' is not a whole number >= 1" || return
  local port=${FIXAR_SLURM_PORT:-}
  if [ -n "$port" ]; then
    [[ $port =~ ^[0-9]+$ ]] && ((port >= 1024 && port <= 65534)) ||
      slurm_fail "FIXAR_SLURM_PORT='$port' is not a port in 1024..65534" || return
    slurm_port_free "$port" && slurm_port_free $((port + 1)) ||
      slurm_fail "FIXAR_SLURM_PORT=$port: port $port or $((port + 1)) is in use" || return
  else
    port=$((20000 + RANDOM % 20000))
    while ! slurm_port_free "$port" || ! slurm_port_free $((port + 1)); do port=$((port + 2)); done
  fi
  local host
  host=$(hostname -s)
  rm -rf "$dir/state" "$dir/spool" # a fresh cluster: no jobs from an earlier start here
  mkdir -p "$dir"/{munge,state,spool,log}
  chmod 700 "$dir/state" "$dir/spool"
  chmod 755 "$dir" "$dir/munge" # the munge socket is there; the key is not readable by others
  rm -f "$dir"/log/* "$dir"/*.pid

  # munge: a fresh key, its own socket, pid, seed and log file.
  mungekey --create --force --keyfile="$dir/munge/munge.key" >/dev/null || slurm_fail "mungekey failed" || return
  chmod 600 "$dir/munge/munge.key"
  FIXAR_SLURM_DIR=$dir setsid munged --foreground --force --socket="$dir/munge/munge.socket" \
    --key-file="$dir/munge/munge.key" --pid-file="$dir/munge/munged.pid" --seed-file="$dir/munge/munged.seed" \
    --log-file="$dir/log/munged.log" </dev/null >>"$dir/log/munged.out" 2>&1 &
  echo $! >"$dir/munged.pid"

  cat >"$dir/slurm.conf" <<CONF
# A single-node Slurm for testing (tests/sweep/slurm/slurm.sh); everything under $dir.
ClusterName=fixartest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
# cred_expire also sets how long a requeued job waits before it may start again (default 120 s, at least 5).
AuthInfo=socket=$dir/munge/munge.socket,cred_expire=5
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/state/slurmctld.pid
SlurmdPidFile=$dir/state/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
# A requeued job becomes eligible after cred_expire; the backfill pass (default every 30 s)
# then starts it.
SchedulerParameters=sched_interval=2,bf_interval=2
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
ReturnToService=2
KillWait=15
# The node may offer more CPUs than the machine has (short test runs share cores).
SlurmdParameters=config_overrides
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=1000 State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
  export SLURM_CONF=$dir/slurm.conf
  FIXAR_SLURM_DIR=$dir setsid slurmctld -D </dev/null >>"$dir/log/slurmctld.out" 2>&1 &
  echo $! >"$dir/slurmctld.pid"
  FIXAR_SLURM_DIR=$dir setsid slurmd -D -N "$host" </dev/null >>"$dir/log/slurmd.out" 2>&1 &
  echo $! >"$dir/slurmd.pid"

  local timeout=${FIXAR_SLURM_TIMEOUT:-60} t0=$SECONDS state=""
  while :; do
    state=$(sinfo -h -n "$host" -o %T 2>/dev/null | head -n 1)
    [ "$state" = idle ] && break
    if ((SECONDS - t0 >= timeout)); then
      slurm_fail "node $host not idle after ${timeout} s (sinfo state: '${state:-no answer}'; FIXAR_SLURM_TIMEOUT raises the limit); config $dir/slurm.conf
$(slurm_logs_tail "$dir")"
      slurm_stop "$dir"
      return 1
    fi
    sleep 0.5
  done
  echo "slurm: cluster fixartest up in $((SECONDS - t0)) s: node $host ($cpus CPUs), slurmctld on 127.0.0.1:$port; SLURM_CONF=$SLURM_CONF"
}

# Processes of DIR's cluster still alive: the daemons (FIXAR_SLURM_DIR=DIR in their
# environment), slurmstepd and the jobs' processes (SLURM_CONF=DIR/slurm.conf, and the name
# slurmstepd or a SLURM_JOB_ID).
slurm_leftovers() {
  local dir=$1 p env
  for p in /proc/[0-9]*; do
    p=${p#/proc/}
    [ "$p" = "$$" ] && continue
    env=$(tr '\0' '\n' 2>/dev/null <"/proc/$p/environ") || continue
    if grep -qxF "FIXAR_SLURM_DIR=$dir" <<<"$env" ||
      { grep -qxF "SLURM_CONF=$dir/slurm.conf" <<<"$env" &&
        { grep -q '^SLURM_JOB_ID=' <<<"$env" || [ "$(cat "/proc/$p/comm" 2>/dev/null)" = slurmstepd ]; }; }; then
      echo "$p"
    fi
  done
}

slurm_wait_gone() { # PIDS...: waits up to 15 s for them to end; 1 if some are still alive
  local p alive
  for _ in $(seq 30); do
    alive=0
    for p in "$@"; do slurm_pid_alive "$p" && alive=1; done
    ((alive)) || return 0
    sleep 0.5
  done
  return 1
}

slurm_stop() {
  local dir=${1:?slurm_stop DIR}
  case $dir in /*) ;; *) dir=$PWD/$dir ;; esac
  [ -f "$dir/slurm.conf" ] || return 0
  PATH=$PATH:/usr/sbin:/sbin
  local ctld slurmd munged jobs
  ctld=$(slurm_read_pid "$dir/slurmctld.pid")
  slurmd=$(slurm_read_pid "$dir/slurmd.pid")
  munged=$(slurm_read_pid "$dir/munged.pid")
  local watchdog
  watchdog=$(slurm_read_pid "$dir/watchdog.pid")
  [ -n "$watchdog" ] && [ "$watchdog" != "$$" ] && kill "$watchdog" 2>/dev/null
  if slurm_pid_alive "$ctld"; then
    export SLURM_CONF=$dir/slurm.conf
    jobs=$(squeue -h -o %F 2>/dev/null | sort -u)
    if [ -n "$jobs" ]; then
      # shellcheck disable=SC2086
      scancel $jobs 2>/dev/null
      for _ in $(seq 60); do
        [ -z "$(squeue -h -o %i 2>/dev/null)" ] && break
        sleep 0.5
      done
    fi
    scontrol shutdown >/dev/null 2>&1
  fi
  # shellcheck disable=SC2086 # unquoted: a pid file that was not there gives no argument
  slurm_wait_gone $ctld $slurmd || kill -TERM $ctld $slurmd 2>/dev/null
  # shellcheck disable=SC2086
  slurm_wait_gone $ctld $slurmd || kill -KILL $ctld $slurmd 2>/dev/null
  local left
  left=$(slurm_leftovers "$dir" | grep -vxF "${munged:-none}")
  if [ -n "$left" ]; then
    echo "slurm: killing what is left of the cluster in $dir: ${left//$'\n'/ }" >&2
    # shellcheck disable=SC2086
    kill -KILL $left 2>/dev/null
  fi
  if slurm_pid_alive "$munged"; then
    kill -TERM "$munged" 2>/dev/null
    slurm_wait_gone "$munged" || kill -KILL "$munged" 2>/dev/null
  fi
  rm -f "$dir"/{slurmctld,slurmd,munged,watchdog}.pid
  wait 2>/dev/null # reaps the daemons when this shell started them
  return 0
}

slurm_watchdog() {
  local dir=${1:?slurm_watchdog DIR PID} pid=${2:?slurm_watchdog DIR PID} lib
  lib=$(readlink -f "${BASH_SOURCE[0]}")
  # Detached (setsid, reparented), so that killing the caller's process tree leaves it.
  (setsid bash -c 'source "$0"; echo $$ >"$1/watchdog.pid"; while kill -0 "$2" 2>/dev/null; do sleep 2; done
    [ -f "$1/watchdog.pid" ] && slurm_stop "$1"' "$lib" "$dir" "$pid" </dev/null >/dev/null 2>&1 &)
}
