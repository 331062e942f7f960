# Replication groups on loopback, for tests, benchmarks and the demo: each
# member of a group is a data directory with its writer (`txpart serve`, or
# `txcoord serve` for a coordinator group) and the `replicad serve` beside it.
# Source cluster.bash first (binaries, waits, stops, PIDS).
#
#   source cluster.bash; source group.bash
#   CLUSTER_DIR=$tmp
#   group_create s0 3 --auto-failover     # members s0.0 s0.1 s0.2, ports picked
#   group_start s0                        # all of them; waits for a primary
#   txpart put --connect "$(group_endpoints s0)" k v
#   member_stop "$(group_primary s0)" KILL
#   group_wait_primary s0                 # the survivors elect one
#   member_wait_value s0.1 k v            # bounded waits for tests
#   member_wait_role s0.0 replica
#
# Without --auto-failover, group_start promotes member .0 by hand.
#
# Network namespaces (partition tests): set GROUP_NETNS=(ns0 ns1 ...) and
# GROUP_IPS=(ip0 ip1 ...) before group_create, and member i runs inside
# GROUP_NETNS[i] on GROUP_IPS[i] (with --insecure: it is not loopback).
# member_run M CMD... runs a client command where member M can be reached.
#
# State, keyed by member ("s0.1"):
#   MEMBER_PEP    the writer's endpoint     MEMBER_PPID  its pid (empty once stopped)
#   MEMBER_REP    replicad's endpoint       MEMBER_RPID  its pid
#   MEMBER_WRITER txpart or txcoord         MEMBER_WARGS extra writer flags (a string)
#   MEMBER_RARGS  extra replicad flags (a string)
#   GROUP_SIZE[g] the number of members of group g
# Logs: $CLUSTER_DIR/<member>.writer.log and <member>.replicad.log.

declare -gA MEMBER_PEP=() MEMBER_REP=() MEMBER_PPID=() MEMBER_RPID=() MEMBER_WRITER=()
declare -gA MEMBER_WARGS=() MEMBER_RARGS=() GROUP_SIZE=() MEMBER_NS=()
[[ -v GROUP_NETNS ]] || declare -ga GROUP_NETNS=()
[[ -v GROUP_IPS ]] || declare -ga GROUP_IPS=()

declare -gA _GROUP_PORTS=()

# Sets REPLY to a loopback port nobody listens on now and this shell has
# not handed out, below the kernel's ephemeral range (outgoing connections
# take those). Not for $(...): the memory of ports handed out must persist.
_group_free_port() {
  local i p low
  read -r low _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || low=32768
  ((low > 11000)) || low=32768
  for ((i = 0; i < 200; i++)); do
    p=$((10000 + RANDOM % (low - 10000)))
    [[ -v _GROUP_PORTS[$p] ]] && continue
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      _GROUP_PORTS[$p]=1
      REPLY=$p
      return 0
    fi
  done
  echo "group: no free port found" >&2
  return 1
}

# group_create G N [replicad flags...]: N members of group G, with their
# ports chosen now so every member can name the others in --peers.
group_create() {
  local g=$1 n=$2 i j peers
  shift 2
  GROUP_SIZE[$g]=$n
  for ((i = 0; i < n; i++)); do
    local ip=${GROUP_IPS[i]:-127.0.0.1}
    MEMBER_NS[$g.$i]=${GROUP_NETNS[i]:-}
    _group_free_port || return 1
    MEMBER_PEP[$g.$i]=tcp://$ip:$REPLY
    _group_free_port || return 1
    MEMBER_REP[$g.$i]=tcp://$ip:$REPLY
    MEMBER_WRITER[$g.$i]=${GROUP_WRITER:-txpart}
    MEMBER_WARGS[$g.$i]=${GROUP_WRITER_ARGS:-}
  done
  for ((i = 0; i < n; i++)); do
    peers=''
    for ((j = 0; j < n; j++)); do
      ((j == i)) || peers+=${peers:+,}${MEMBER_REP[$g.$j]}
    done
    MEMBER_RARGS[$g.$i]="--name $g.$i ${peers:+--peers $peers} $*"
  done
}

# Waits (bounded) until log $1 has more than $2 lines matching $3; fails
# if process $4 exits first.
_group_wait_log() {
  local log=$1 before=$2 regex=$3 pid=$4 i n
  for ((i = 0; i < ${CLUSTER_WAIT_S:-10} * 20; i++)); do
    n=$(grep -cE "$regex" "$log" 2>/dev/null || true)
    ((${n:-0} > before)) && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  echo "group: $log: no /$regex/ (pid $pid):" >&2
  cat "$log" >&2
  return 1
}

# member_run M CMD...: CMD inside member M's network namespace, if any.
member_run() {
  local m=$1
  shift
  if [[ -n ${MEMBER_NS[$m]:-} ]]; then
    ip netns exec "${MEMBER_NS[$m]}" "$@"
  else
    "$@"
  fi
}

# member_start M [writer flags...]: starts member M's writer as a standby
# (replicad decides whether it is primary) and its replicad.
member_start() {
  local m=$1 wlog rlog before writer
  shift
  wlog=$CLUSTER_DIR/$m.writer.log
  rlog=$CLUSTER_DIR/$m.replicad.log
  writer=${MEMBER_WRITER[$m]}
  local -a wextra=()
  # shellcheck disable=SC2206 # the flags are words by design
  wextra=(${MEMBER_WARGS[$m]})
  [[ $writer == txcoord ]] && wextra+=(--ring "$CLUSTER_RING")
  local -a insecure=() in_ns=()
  [[ ${MEMBER_PEP[$m]} == tcp://127.* ]] || insecure=(--insecure)
  # A simple command (not member_run, a function), so that $! is the
  # daemon's own pid: `ip netns exec` execs it.
  [[ -z ${MEMBER_NS[$m]:-} ]] || in_ns=(ip netns exec "${MEMBER_NS[$m]}")
  before=$(grep -c 'msg=serving' "$wlog" 2>/dev/null || true)
  "${in_ns[@]}" "$(cluster_bin "$writer")" serve --data "$CLUSTER_DIR/$m" \
    --listen "${MEMBER_PEP[$m]}" --standby --log-level info "${insecure[@]}" "${wextra[@]}" "$@" \
    2>>"$wlog" &
  MEMBER_PPID[$m]=$!
  PIDS+=("$!")
  _group_wait_log "$wlog" "${before:-0}" 'msg=serving' "${MEMBER_PPID[$m]}" || return 1
  before=$(grep -c 'msg="member started"' "$rlog" 2>/dev/null || true)
  # shellcheck disable=SC2086 # MEMBER_RARGS is a list of words
  "${in_ns[@]}" "$(cluster_bin replicad)" serve --data "$CLUSTER_DIR/$m" \
    --listen "${MEMBER_REP[$m]}" --log-level info "${insecure[@]}" ${MEMBER_RARGS[$m]} \
    2>>"$rlog" &
  MEMBER_RPID[$m]=$!
  PIDS+=("$!")
  # Started: it has heard from its writer and knows where the log ends.
  _group_wait_log "$rlog" "${before:-0}" 'msg="member started"' "${MEMBER_RPID[$m]}" || return 1
}

# member_stop M [SIGNAL]: stops replicad, then the writer (TERM by default;
# KILL for a crash of the machine).
member_stop() {
  local m=$1 sig=${2:-TERM} rc=0
  _cluster_stop_pid "${MEMBER_RPID[$m]}" "$sig" || rc=1
  _cluster_stop_pid "${MEMBER_PPID[$m]}" "$sig" || rc=1
  MEMBER_RPID[$m]='' MEMBER_PPID[$m]=''
  return "$rc"
}

# member_pause M / member_resume M: SIGSTOP / SIGCONT both processes (a
# paused, not dead, machine).
member_pause() { kill -STOP "${MEMBER_RPID[$1]}" "${MEMBER_PPID[$1]}"; }
member_resume() { kill -CONT "${MEMBER_RPID[$1]}" "${MEMBER_PPID[$1]}"; }

# member_role M: "primary", "replica", "candidate" or "paused" as its
# replicad reports it (empty when it does not answer).
member_role() {
  member_run "$1" "$(cluster_bin replicad)" status --connect "${MEMBER_REP[$1]}" --timeout 500 --retries 0 \
    2>/dev/null | awk -F'\t' '$2 == "self" { print $3 }'
}

# member_wait_value M KEY WANT [TRIES]: waits (bounded: TRIES x 50 ms,
# default 200) until `txpart get KEY` on member M prints WANT.
member_wait_value() {
  local m=$1 key=$2 want=$3 tries=${4:-200} got i
  for ((i = 0; i < tries; i++)); do
    got=$(member_run "$m" "$(cluster_bin txpart)" get --connect "${MEMBER_PEP[$m]}" "$key" \
      2>/dev/null | cut -f2)
    [ "$got" = "$want" ] && return 0
    sleep 0.05
  done
  echo "$m: $key is '$got', expected '$want'" >&2
  return 1
}

# member_wait_role M ROLE [TRIES]: waits (bounded: TRIES x 100 ms, default
# 150) until member M's replicad reports ROLE.
member_wait_role() {
  local i
  for ((i = 0; i < ${3:-150}; i++)); do
    [ "$(member_role "$1")" = "$2" ] && return 0
    sleep 0.1
  done
  echo "$1 is '$(member_role "$1")', expected '$2'" >&2
  return 1
}

# member_epoch M: the epoch its replicad is in.
member_epoch() {
  member_run "$1" "$(cluster_bin replicad)" status --connect "${MEMBER_REP[$1]}" --timeout 500 --retries 0 \
    2>/dev/null | awk -F'\t' '$2 == "self" { print $4 }'
}

# group_primary G: the member whose replicad says it is primary (running
# members only), or nothing.
group_primary() {
  local g=$1 i
  for ((i = 0; i < GROUP_SIZE[$g]; i++)); do
    [[ -n ${MEMBER_RPID[$g.$i]} ]] || continue
    if [[ $(member_role "$g.$i") == primary ]]; then
      echo "$g.$i"
      return 0
    fi
  done
  return 1
}

# group_wait_primary G [EXCEPT]: waits (bounded) until a member other than
# EXCEPT is primary, and prints it.
group_wait_primary() {
  local g=$1 except=${2:-} i p
  for ((i = 0; i < ${CLUSTER_WAIT_S:-10} * 10; i++)); do
    p=$(group_primary "$g") && [[ $p != "$except" ]] && {
      echo "$p"
      return 0
    }
    sleep 0.1
  done
  echo "group: $g has no primary${except:+ other than $except}" >&2
  return 1
}

# group_start G: starts every member; without --auto-failover in its flags,
# promotes member G.0; then waits for a primary.
group_start() {
  local g=$1 i
  for ((i = 0; i < GROUP_SIZE[$g]; i++)); do member_start "$g.$i" || return 1; done
  if [[ ${MEMBER_RARGS[$g.0]} != *--auto-failover* ]]; then
    member_run "$g.0" "$(cluster_bin replicad)" promote --connect "${MEMBER_REP[$g.0]}" \
      >/dev/null || return 1
  fi
  group_wait_primary "$g" >/dev/null
}

# group_stop G: stops every running member (TERM).
group_stop() {
  local g=$1 i rc=0
  for ((i = 0; i < GROUP_SIZE[$g]; i++)); do member_stop "$g.$i" || rc=1; done
  return "$rc"
}

# group_endpoints G: the writers' endpoints, comma-separated (a replica set).
group_endpoints() {
  local g=$1 i out=''
  for ((i = 0; i < GROUP_SIZE[$g]; i++)); do out+=${out:+,}${MEMBER_PEP[$g.$i]}; done
  echo "$out"
}
