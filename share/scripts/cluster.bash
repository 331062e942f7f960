# A local shardkit cluster for tests and demos: N participants (`txpart
# serve`) and one coordinator (`txcoord serve`) on loopback, with ports the
# system picks, and a ring file that names the participants.
#
#   source cluster.bash
#   cluster_start 3                  # s0 s1 s2 + coordinator, all serving
#   txcoord submit --connect "$COORD_EP" <script
#   part_stop 1 KILL; part_start 1   # crash and restart s1 on its endpoint
#   cluster_stop                     # SIGTERM everything, bounded wait
#
# State, for the caller to read:
#   CLUSTER_DIR     the directory holding everything (default: $TMP, or a
#                   new temporary directory); data in p<i>/ and coord/,
#                   logs in p<i>.log and coord.log (appended across restarts)
#   CLUSTER_RING    the ring file ($CLUSTER_DIR/cluster.ring)
#   PART_EP[i]      participant i's endpoint (its ring node is "s<i>")
#   PART_PID[i]     its process id (empty once stopped)
#   COORD_EP        the coordinator's endpoint; COORD_PID its process id
#   PIDS            every process started is appended here, so that
#                   helpers.bash's common_teardown stops it
#
# Binaries come from $SHARDKIT_BIN when set, else from $PATH. Extra daemon
# flags: CLUSTER_PART_ARGS and CLUSTER_COORD_ARGS (arrays), or the arguments
# of part_start and coord_start. Every wait is bounded (CLUSTER_WAIT_S,
# default 10 s) and fails with the log on stderr.

declare -ga PART_EP=() PART_PID=()
declare -g COORD_EP='' COORD_PID=''
[[ -v PIDS ]] || declare -ga PIDS=()
[[ -v CLUSTER_PART_ARGS ]] || declare -ga CLUSTER_PART_ARGS=()
[[ -v CLUSTER_COORD_ARGS ]] || declare -ga CLUSTER_COORD_ARGS=()

# The path of shardkit binary $1.
cluster_bin() {
  if [[ -n ${SHARDKIT_BIN:-} ]]; then echo "$SHARDKIT_BIN/$1"; else type -P "$1"; fi
}

# Waits until log file $1 has more than $2 lines matching "msg=serving",
# then prints the listen= endpoint of the newest one. Fails if process $3
# exits first or after CLUSTER_WAIT_S seconds.
_cluster_wait_serving() {
  local log=$1 before=$2 pid=$3 i n
  for ((i = 0; i < ${CLUSTER_WAIT_S:-10} * 20; i++)); do
    n=$(grep -c 'msg=serving' "$log" 2>/dev/null || true)
    if ((${n:-0} > before)); then
      grep 'msg=serving' "$log" | tail -n 1 | grep -o 'listen=[^ ]*' | cut -d= -f2
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  echo "cluster: $log: no 'msg=serving' (pid $pid):" >&2
  cat "$log" >&2
  return 1
}

# Starts participant $1 with extra flags $2...: on its previous endpoint if
# it had one (a restart), else on a free loopback port. Sets PART_EP[$1]
# and PART_PID[$1].
part_start() {
  local i=$1 log before ep
  shift
  log=$CLUSTER_DIR/p$i.log
  ep=${PART_EP[i]:-tcp://127.0.0.1:*}
  before=$(grep -c 'msg=serving' "$log" 2>/dev/null || true)
  "$(cluster_bin txpart)" serve --data "$CLUSTER_DIR/p$i" --listen "$ep" --log-level info \
    "${CLUSTER_PART_ARGS[@]}" "$@" 2>>"$log" &
  PART_PID[i]=$!
  PIDS+=("$!")
  PART_EP[i]=$(_cluster_wait_serving "$log" "${before:-0}" "${PART_PID[i]}") || return 1
}

# Starts the coordinator with extra flags $@, on its previous endpoint if
# it had one. Sets COORD_EP and COORD_PID.
coord_start() {
  local log=$CLUSTER_DIR/coord.log before ep
  ep=${COORD_EP:-tcp://127.0.0.1:*}
  before=$(grep -c 'msg=serving' "$log" 2>/dev/null || true)
  "$(cluster_bin txcoord)" serve --data "$CLUSTER_DIR/coord" --ring "$CLUSTER_RING" \
    --listen "$ep" --log-level info "${CLUSTER_COORD_ARGS[@]}" "$@" 2>>"$log" &
  COORD_PID=$!
  PIDS+=("$!")
  COORD_EP=$(_cluster_wait_serving "$log" "${before:-0}" "$COORD_PID") || return 1
}

# Sends signal $2 (default TERM) to process $1 and waits for it to exit
# (bounded; then SIGKILL). Returns its exit status for TERM/INT (0 is a
# clean stop), 0 otherwise.
_cluster_stop_pid() {
  local pid=$1 sig=${2:-TERM} i rc=0
  [[ -n $pid ]] || return 0
  kill -"$sig" "$pid" 2>/dev/null || return 0
  for ((i = 0; i < ${CLUSTER_WAIT_S:-10} * 20; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  kill -KILL "$pid" 2>/dev/null && echo "cluster: pid $pid ignored SIG$sig; killed" >&2
  wait "$pid" 2>/dev/null || rc=$?
  [[ $sig == TERM || $sig == INT ]] && return "$rc"
  return 0
}

# Stops participant $1 with signal $2 (default TERM; KILL for a crash).
part_stop() {
  local rc=0
  _cluster_stop_pid "${PART_PID[$1]}" "${2:-TERM}" || rc=$?
  PART_PID[$1]=''
  return "$rc"
}

# Stops the coordinator with signal $1 (default TERM).
coord_stop() {
  local rc=0
  _cluster_stop_pid "$COORD_PID" "${1:-TERM}" || rc=$?
  COORD_PID=''
  return "$rc"
}

# Starts $1 participants (default 3), writes the ring s0..s<N-1> -> their
# endpoints, and starts the coordinator on it.
cluster_start() {
  local n=${1:-3} i ringctl
  CLUSTER_DIR=${CLUSTER_DIR:-${TMP:-$(mktemp -d)}}
  CLUSTER_RING=$CLUSTER_DIR/cluster.ring
  ringctl=$(cluster_bin ringctl)
  for ((i = 0; i < n; i++)); do part_start "$i" || return 1; done
  "$ringctl" new --force -o "$CLUSTER_RING" || return 1
  for ((i = 0; i < n; i++)); do
    "$ringctl" add "$CLUSTER_RING" "s$i" "${PART_EP[i]}" || return 1
  done
  coord_start || return 1
}

# Stops the coordinator, then every participant (SIGTERM, bounded wait).
# Returns non-zero if any of them did not exit 0.
cluster_stop() {
  local i rc=0
  coord_stop || rc=1
  for i in "${!PART_PID[@]}"; do part_stop "$i" || rc=1; done
  return "$rc"
}

# For scripts (not bats, whose teardown does this): stops the cluster, kills
# anything left of what it started, and removes CLUSTER_DIR. Use as an EXIT
# trap.
cluster_cleanup() {
  cluster_stop >/dev/null 2>&1 || true
  local pid
  for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  [[ -n ${CLUSTER_DIR:-} ]] && rm -rf "$CLUSTER_DIR"
}

# The index i of the participant whose ring node owns key $1 ("s<i>").
cluster_owner() {
  "$(cluster_bin ringctl)" locate "$CLUSTER_RING" "$1" | cut -f2 | sed 's/^s//'
}
