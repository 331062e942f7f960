# Helpers for txn_fault.bats: a 3-shard cluster with one process armed with a
# failpoint, workloads that reach every failpoint, and the checks that run
# after every crash and restart (DESIGN.md §7, §10):
#
#   atomicity    every two-shard transaction is applied on both shards or on
#                neither, read from each shard with `txpart get`; the only
#                exception is a transaction an operator resolved by hand,
#                and the coordinator must then flag it as a heuristic mismatch
#   durability   everything acknowledged (`submit` said committed, `txpart
#                put` or `del` exited 0) is there
#   no leak      no participant holds a lock or an unfinished transaction,
#                and a new transaction on every key commits
#   clean        the armed process died by SIGKILL at its failpoint and only
#                there, the restarted one serves, and every process exits 0
#                on SIGTERM at the end
#
# Sourced by the .bats file; run as a script it runs one cell of the kill -9
# matrix:  bash txn_fault.bash POINT DIR  (exit 0: hit and checks passed;
# 1: a check failed; 3: the point was not hit). Everything it starts is
# listed in DIR/pids for the caller's teardown, and stopped on exit.

: "${SHARDKIT_BIN:?SHARDKIT_BIN must name the directory of the tools}"
: "${SHARDKIT_SOURCE:?SHARDKIT_SOURCE must name the source tree}"
unset SHARDKIT_FAILPOINTS
# shellcheck source=../../share/scripts/cluster.bash
source "$SHARDKIT_SOURCE/share/scripts/cluster.bash"

# Short protocol timers, so that in-doubt transactions resolve in about a
# second. The first INQUIRE still comes after the coordinator's PREPARE
# resend (500 ms; a PREPARE on a connection not yet up is dropped), or
# every first transaction after a restart would be aborted by an INQUIRE
# while it is voting. That is still possible under load: slower progress
# for those transactions, never a wrong one.
TF_PART_ARGS=(--inquire-initial 700 --inquire-max 1000)
TF_COORD_ARGS=(--vote-timeout 1000)
TF_WAIT_S=${TF_WAIT_S:-20}  # bound of every wait for recovery

tf_txpart() { "$SHARDKIT_BIN/txpart" "$@"; }
tf_txcoord() { "$SHARDKIT_BIN/txcoord" "$@"; }

# A failed check: one line on stderr, and the cell fails (checks go on, so
# that one run reports every problem).
TF_FAILED=0
tf_fail() {
  echo "FAIL: $*" >&2
  TF_FAILED=1
}

tf_note() { echo "# $*" >&2; }

# With TF_TRACE set, a time-stamped progress line on stderr.
TF_T0=$(date +%s%3N)
tf_trace() {
  [[ -z ${TF_TRACE:-} ]] || echo "# +$(($(date +%s%3N) - TF_T0))ms $*" >&2
  return 0
}

# ---------------------------------------------------------------- processes

_tf_save_pids() { printf '%s\n' "${PIDS[@]}" >"$CLUSTER_DIR/pids"; }

# part_start / coord_start, recording the new pid in $CLUSTER_DIR/pids.
# SHARDKIT_FAILPOINTS in the caller's environment arms the new process.
tf_part_start() {
  local rc=0
  part_start "$@" || rc=$?
  _tf_save_pids
  return "$rc"
}
tf_coord_start() {
  local rc=0
  coord_start "$@" || rc=$?
  _tf_save_pids
  return "$rc"
}

# Runs "$@" with the environment entries (NAME=VALUE) of array TF_ENV.
TF_ENV=()
_tf_with_env() {
  if ((${#TF_ENV[@]})); then local -x "${TF_ENV[@]}"; fi
  "$@"
}

# tf_cluster P0_FAILPOINTS COORD_FAILPOINTS: participants s0 s1 s2 and a
# coordinator in $CLUSTER_DIR (default $TMP), s0 and the coordinator with the
# given SHARDKIT_FAILPOINTS ("" for none), s0 also with the environment
# entries of array TF_P0_ENV. Then builds the key pools.
TF_P0_ENV=()
tf_cluster() {
  local ringctl=$SHARDKIT_BIN/ringctl i
  CLUSTER_DIR=${CLUSTER_DIR:-$TMP}
  CLUSTER_RING=$CLUSTER_DIR/cluster.ring
  CLUSTER_PART_ARGS=("${TF_PART_ARGS[@]}")
  CLUSTER_COORD_ARGS=("${TF_COORD_ARGS[@]}")
  TF_ENV=("${TF_P0_ENV[@]}")
  SHARDKIT_FAILPOINTS=$1 _tf_with_env tf_part_start 0 || return 1
  TF_ENV=()
  tf_part_start 1 || return 1
  tf_part_start 2 || return 1
  "$ringctl" new -o "$CLUSTER_RING" || return 1
  for i in 0 1 2; do "$ringctl" add "$CLUSTER_RING" "s$i" "${PART_EP[i]}" || return 1; done
  SHARDKIT_FAILPOINTS=$2 tf_coord_start || return 1
  tf_pools
}

# POOL0, POOL1, POOL2: keys k1..k300 by the shard that owns them.
tf_pools() {
  local key node
  POOL0=() POOL1=() POOL2=()
  while IFS=$'\t' read -r key node _; do
    case $node in
      s0) POOL0+=("$key") ;;
      s1) POOL1+=("$key") ;;
      s2) POOL2+=("$key") ;;
    esac
  done < <(seq 1 300 | sed 's/^/k/' | "$SHARDKIT_BIN/ringctl" locate "$CLUSTER_RING" -)
  if ((${#POOL0[@]} < 40 || ${#POOL1[@]} < 40 || ${#POOL2[@]} < 40)); then
    echo "unbalanced ring: ${#POOL0[@]}/${#POOL1[@]}/${#POOL2[@]} keys" >&2
    return 1
  fi
}

# Prints every log of the cluster (for a failed check).
tf_dump_logs() {
  local f
  for f in "$CLUSTER_DIR"/*.log "$CLUSTER_DIR"/*.out "$CLUSTER_DIR"/*.err; do
    [[ -s $f ]] || continue
    echo "----- ${f##*/}"
    tail -n 60 "$f"
  done
}

# ------------------------------------------------------- the armed process

# TF_ROLE (txpart|txcoord) and TF_POINT name the armed process and point:
# participant 0, or the coordinator. TF_CRASHED counts its crashes there.
TF_ROLE='' TF_POINT='' TF_CRASHED=0

tf_armed_pid() {
  if [[ $TF_ROLE == txpart ]]; then echo "${PART_PID[0]}"; else echo "$COORD_PID"; fi
}

# If the armed process has exited: checks that it was SIGKILLed by its
# failpoint (exit 137, the failpoint's line in its log), and restarts it on
# the same data directory and endpoint without failpoints. Returns 1 only
# when the restart fails.
tf_reap_armed() {
  local pid rc=0 log
  pid=$(tf_armed_pid)
  [[ -n $pid ]] || return 0
  kill -0 "$pid" 2>/dev/null && return 0
  wait "$pid" 2>/dev/null || rc=$?
  if [[ $TF_ROLE == txpart ]]; then log=$CLUSTER_DIR/p0.log; else log=$CLUSTER_DIR/coord.log; fi
  if ((rc != 137)); then
    tf_fail "$TF_ROLE (pid $pid) exited $rc, not by SIGKILL (137) at $TF_POINT"
  elif ! grep -q "failpoint=$TF_POINT\b" "$log"; then
    tf_fail "$TF_ROLE (pid $pid) was killed, but its log does not name failpoint $TF_POINT"
  else
    TF_CRASHED=$((TF_CRASHED + 1))
  fi
  if [[ $TF_ROLE == txpart ]]; then
    PART_PID[0]=''
    tf_part_start 0 || { tf_fail "participant s0 did not restart"; return 1; }
  else
    COORD_PID=''
    tf_coord_start || { tf_fail "the coordinator did not restart"; return 1; }
  fi
}

# tf_kill_ours DIR PID...: SIGKILLs each PID whose command line names DIR
# (the processes a test started there; a pid may have been reused since).
tf_kill_ours() {
  local dir=$1 pid
  shift
  for pid in "$@"; do
    if grep -qaF -- "$dir/" "/proc/$pid/cmdline" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null; fi
  done
  return 0
}

# Fails unless every process but the armed one is still running (the armed
# one is restarted by tf_reap_armed).
tf_check_alive() {
  local i
  for i in 0 1 2; do
    [[ $TF_ROLE == txpart && $i == 0 ]] && continue
    kill -0 "${PART_PID[i]}" 2>/dev/null || tf_fail "participant s$i died (it was not armed)"
  done
  if [[ $TF_ROLE != txcoord ]]; then
    kill -0 "$COORD_PID" 2>/dev/null || tf_fail "the coordinator died (it was not armed)"
  fi
}

# Waits (bounded) until nothing is unfinished anywhere: every participant's
# `prepared` and `status --locks` are empty, the coordinator's `inflight` is
# empty and every heuristic outcome has been reported. Keeps reaping the
# armed process meanwhile.
tf_quiesce() {
  local i deadline=$((SECONDS + TF_WAIT_S)) busy
  while ((SECONDS < deadline)); do
    tf_reap_armed || return 1
    busy=''
    for i in 0 1 2; do
      [[ -z $(tf_txpart prepared --connect "${PART_EP[i]}" --timeout 1000 2>&1) ]] || busy+=" s$i:prepared"
      [[ -z $(tf_txpart status --locks --connect "${PART_EP[i]}" --timeout 1000 2>&1) ]] || busy+=" s$i:locks"
      tf_txpart status --connect "${PART_EP[i]}" --timeout 1000 2>&1 |
        grep -qx $'heuristic_unreported\t0' || busy+=" s$i:heuristics"
    done
    [[ -z $(tf_txcoord inflight --connect "$COORD_EP" --timeout 1000 2>&1) ]] || busy+=" coord:inflight"
    [[ -z $busy ]] && return 0
    sleep 0.1
  done
  tf_fail "not quiescent after ${TF_WAIT_S}s:$busy"
  for i in 0 1 2; do
    echo "-- s$i prepared / locks:"
    tf_txpart prepared --connect "${PART_EP[i]}" 2>&1
    tf_txpart status --locks --connect "${PART_EP[i]}" 2>&1
  done >&2
  echo "-- coordinator inflight:" >&2
  tf_txcoord inflight --connect "$COORD_EP" >&2 2>&1
  return 1
}

# --------------------------------------------------------------- workloads

# tf_txn and tf_read add a transaction to the script $TF_SCRIPT, and
# tf_submit ID runs it (client txids ID, ID.2, ID.3, ...) and records each
# transaction in the manifest $TF_MANIFEST, one line each:
#   TXID<TAB>KIND<TAB>VALUE<TAB>KEY...
# KIND is "atomic" (puts VALUE to every KEY, all or nothing), "never" (must
# not apply: puts VALUE to every KEY and aborts), or "read" (no writes).
# submit's result lines go to $CLUSTER_DIR/results. Direct writes go to
# $CLUSTER_DIR/direct: "put|del<TAB>KEY<TAB>VALUE<TAB>EXIT-STATUS".
TF_SCRIPT='' TF_MANIFEST=''

tf_manifest_reset() {
  TF_SCRIPT=$CLUSTER_DIR/workload.txn
  TF_MANIFEST=$CLUSTER_DIR/manifest
  : >"$TF_SCRIPT"
  : >"$TF_SCRIPT.manifest"
  : >"$TF_MANIFEST"
  : >"$CLUSTER_DIR/direct"
  : >"$CLUSTER_DIR/results"
}

# tf_txn KIND VALUE KEY... [-- EXTRA-OP...]: a transaction that puts VALUE to
# each KEY, plus extra ops (lines such as "check k1 = nope").
tf_txn() {
  local kind=$1 value=$2 key keys=() extra=()
  shift 2
  while (($#)); do
    if [[ $1 == -- ]]; then
      shift
      extra=("$@")
      break
    fi
    keys+=("$1")
    shift
  done
  {
    for key in "${extra[@]}"; do echo "$key"; done
    for key in "${keys[@]}"; do echo "put $key $value"; done
    echo
  } >>"$TF_SCRIPT"
  printf '%s\t%s\t%s\n' "$kind" "$value" "${keys[*]}" >>"$TF_SCRIPT.manifest"
}

# tf_read KEY...: a read-only transaction.
tf_read() {
  local key
  for key in "$@"; do echo "get $key"; done >>"$TF_SCRIPT"
  echo >>"$TF_SCRIPT"
  printf 'read\t\t%s\n' "$*" >>"$TF_SCRIPT.manifest"
}

# tf_submit ID [SUBMIT-FLAGS...]: submits $TF_SCRIPT with client txids ID,
# ID.2, ..., and starts a new script. Returns submit's exit status.
tf_submit() {
  local id=$1 rc=0
  shift
  awk -v id="$id" '{ print (NR == 1 ? id : id "." NR) "\t" $0 }' "$TF_SCRIPT.manifest" >>"$TF_MANIFEST"
  tf_txcoord submit --connect "$COORD_EP" --txid "$id" "$@" <"$TF_SCRIPT" \
    >>"$CLUSTER_DIR/results" 2>>"$CLUSTER_DIR/submit.err" || rc=$?
  echo "submit $id: exit $rc" >>"$CLUSTER_DIR/submit.err"
  : >"$TF_SCRIPT"
  : >"$TF_SCRIPT.manifest"
  return "$rc"
}

# tf_direct put|del KEY [VALUE]: a direct write to participant 0, logged with
# its exit status in $CLUSTER_DIR/direct.
tf_direct() {
  local verb=$1 key=$2 value=${3:-} rc=0
  if [[ $verb == put ]]; then
    tf_txpart put --connect "${PART_EP[0]}" --timeout 500 --retries 4 "$key" "$value" \
      >/dev/null 2>>"$CLUSTER_DIR/direct.err" || rc=$?
  else
    tf_txpart del --connect "${PART_EP[0]}" --timeout 500 --retries 4 "$key" \
      >/dev/null 2>>"$CLUSTER_DIR/direct.err" || rc=$?
  fi
  printf '%s\t%s\t%s\t%s\n' "$verb" "$key" "$value" "$rc" >>"$CLUSTER_DIR/direct"
}

# The generic workload. Every transaction touches participant 0 (the one a
# txpart point arms), and it reaches every failpoint of a healthy cluster at
# least twice:
#   two-shard puts          prepare, vote, commit, ack, end; commit-force
#   two-shard reads         READ_ONLY votes
#   two-shard failed check  NO vote, ABORT
#   one-shard puts          one-phase commit
#   one-shard failed check  one-phase abort (its ABORTED record is forced)
#   txpart put/del/get/scan direct writes and reads
#   a request to the wrong daemon: ERROR replies from both kinds
# Runs in the background while the caller restarts the armed process.
tf_generic_workload() {
  local i
  tf_manifest_reset
  for i in 1 2 3 4 5 6 7 8; do
    if ((i % 2)); then
      tf_txn atomic "v$i" "${POOL0[i]}" "${POOL1[i]}"
    else
      tf_txn atomic "v$i" "${POOL0[i]}" "${POOL2[i]}"
    fi
  done
  # Keys nobody writes, so that both shards vote READ_ONLY.
  tf_read "${POOL0[40]}" "${POOL1[40]}"
  tf_read "${POOL0[41]}" "${POOL2[41]}"
  # A check that fails on s1 (the key is never written): s1 votes NO.
  tf_txn never "n1" "${POOL0[20]}" -- "check ${POOL1[30]} = nope"
  tf_txn never "n2" "${POOL0[21]}" -- "check ${POOL2[30]} = nope"
  for i in 1 2 3; do tf_txn atomic "o$i" "${POOL0[10 + i]}"; done
  tf_txn never "n3" "${POOL0[22]}" -- "check ${POOL0[31]} = nope"
  tf_txn never "n4" "${POOL0[23]}" -- "check ${POOL0[32]} absent" "check ${POOL0[32]} = x"
  TF_WORKLOAD_PID=''
  (
    tf_submit w --timeout 700 --retries 6 || true
    tf_direct put "${POOL0[25]}" d1
    tf_direct put "${POOL0[26]}" d2
    tf_direct del "${POOL0[26]}"
    tf_direct del "${POOL0[27]}"
    for i in 1 2; do
      tf_txpart get --connect "${PART_EP[0]}" --timeout 500 --retries 4 "${POOL0[25]}" \
        >/dev/null 2>>"$CLUSTER_DIR/direct.err" || true
      tf_txpart scan --connect "${PART_EP[0]}" --timeout 500 --retries 4 --prefix k1 \
        >/dev/null 2>>"$CLUSTER_DIR/direct.err" || true
    done
    # The wrong daemon: a participant refuses SUBMIT, a coordinator GET.
    # (submit takes the refusal for a transient one and waits out its
    # --timeout, so these run side by side.)
    for i in 1 2; do
      echo "put x$i x" | tf_txcoord submit --connect "${PART_EP[0]}" --timeout 300 --retries 0 \
        >/dev/null 2>>"$CLUSTER_DIR/direct.err" &
      tf_txpart get --connect "$COORD_EP" --timeout 300 --retries 0 x \
        >/dev/null 2>>"$CLUSTER_DIR/direct.err" &
    done
    wait
  ) &
  TF_WORKLOAD_PID=$!
}

# Waits (bounded) for background job $1, reaping and restarting the armed
# process meanwhile.
tf_wait_job() {
  local pid=$1 deadline=$((SECONDS + TF_WAIT_S + 20))
  while kill -0 "$pid" 2>/dev/null; do
    tf_reap_armed || return 1
    if ((SECONDS >= deadline)); then
      tf_fail "workload still running after $((TF_WAIT_S + 20))s"
      kill "$pid" 2>/dev/null
      return 1
    fi
    sleep 0.05
  done
  wait "$pid" 2>/dev/null || true
  tf_reap_armed
}

# ------------------------------------------------------------------ checks

# Reads every key of the manifests from the shard that owns it into VALUE
# (key -> value; absent keys are unset).
declare -gA VALUE=()
tf_read_all() {
  local -a keys=() own=()
  local key value i
  VALUE=()
  mapfile -t keys < <(cut -f4 "$TF_MANIFEST" | tr ' ' '\n'; cut -f2 "$CLUSTER_DIR/direct")
  ((${#keys[@]})) || return 0
  for i in 0 1 2; do
    mapfile -t own < <(printf '%s\n' "${keys[@]}" | sort -u |
      "$SHARDKIT_BIN/ringctl" locate "$CLUSTER_RING" - | awk -F'\t' -v n="s$i" '$2 == n { print $1 }')
    ((${#own[@]})) || continue
    while IFS=$'\t' read -r key value; do
      VALUE[$key]=$value
    done < <(tf_txpart get --connect "${PART_EP[i]}" --timeout 2000 "${own[@]}" 2>/dev/null)
  done
}

# The checks of the file comment, on the manifest and results of the last
# workload. EXCUSED (assoc, value -> reason) lists values an operator's
# heuristic decision may have applied on one shard only.
declare -gA EXCUSED=()
tf_check_workload() {
  local kind value keys key applied missing outcome txid
  local -A reported=()
  tf_read_all
  # results: "txid<TAB>outcome<TAB>reason" lines, and "get" lines.
  while IFS=$'\t' read -r txid outcome _; do
    [[ $txid == get ]] && continue
    reported[$txid]=$outcome
  done <"$CLUSTER_DIR/results"
  while IFS=$'\t' read -r txid kind value keys; do
    outcome=${reported[$txid]:-none}
    [[ $kind == read ]] && continue
    applied=0 missing=0
    for key in $keys; do
      if [[ ${VALUE[$key]+set} && ${VALUE[$key]} == "$value" ]]; then
        applied=$((applied + 1))
      else
        missing=$((missing + 1))
      fi
    done
    if [[ $kind == never ]]; then
      ((applied == 0)) || tf_fail "txn $txid ($value) must abort, but it was applied on $applied keys"
      [[ $outcome != committed ]] || tf_fail "txn $txid ($value) must abort, but submit said committed"
      continue
    fi
    if ((applied && missing)) && [[ -z ${EXCUSED[$value]:-} ]]; then
      tf_fail "atomicity: txn $txid ($value) applied on $applied of $((applied + missing)) keys ($keys)"
    fi
    if [[ $outcome == committed ]] && ((missing)) && [[ -z ${EXCUSED[$value]:-} ]]; then
      tf_fail "durability: txn $txid ($value) was reported committed but $missing of its keys lack it"
    fi
    if [[ $outcome == aborted ]] && ((applied)) && [[ -z ${EXCUSED[$value]:-} ]]; then
      tf_fail "txn $txid ($value) was reported aborted but is applied"
    fi
  done <"$TF_MANIFEST"
  # Direct writes: an acknowledged put is there unless deleted later; an
  # acknowledged del leaves the key absent unless written later.
  local verb rc
  local -A want=()
  while IFS=$'\t' read -r verb key value rc; do
    if [[ $rc == 0 ]]; then
      if [[ $verb == put ]]; then want[$key]=$value; else want[$key]=; fi
    else
      want[$key]='?'
    fi
  done <"$CLUSTER_DIR/direct"
  for key in "${!want[@]}"; do
    case ${want[$key]} in
      '?') ;;
      '') [[ -z ${VALUE[$key]+set} ]] || tf_fail "durability: acknowledged del of $key, but it holds '${VALUE[$key]}'" ;;
      *) [[ ${VALUE[$key]:-} == "${want[$key]}" ]] ||
        tf_fail "durability: acknowledged put $key=${want[$key]}, but it holds '${VALUE[$key]:-<absent>}'" ;;
    esac
  done
}

# No leak: nothing is locked or unfinished (tf_quiesce saw that), and one new
# transaction that writes every key of the manifest commits. It is tried
# three times: right after a restart a transaction may abort for a passing
# reason (see TF_PART_ARGS), while a leaked lock would abort all three.
tf_check_no_leak() {
  local keys out='' rc
  keys=$(awk -F'\t' '$2 != "read" { print $4 }' "$TF_MANIFEST" | tr ' ' '\n' | sort -u)
  [[ -n $keys ]] || return 0
  for _ in 1 2 3; do
    rc=0
    # shellcheck disable=SC2086 # one key per word
    out+=$(printf 'put %s after\n' $keys | tf_txcoord submit --connect "$COORD_EP" --timeout 3000 2>&1) || rc=$?
    ((rc == 0)) && return 0
    out+=$'\n'
  done
  tf_fail "a new transaction on the workload's keys did not commit (exit $rc): $out"
}

# Stops everything with SIGTERM; fails unless every process exits 0.
tf_check_clean_stop() {
  cluster_stop || tf_fail "a process did not exit 0 on SIGTERM (see the logs)"
  _tf_save_pids
}

# ------------------------------------------------------------------- cells

# The in-doubt cell: points that only a transaction left in doubt reaches
# (INQUIRE, a peer's OUTCOME, txpart resolve, the heuristic report and the
# coordinator's answers to both). Kept out of the generic workload, where
# nothing waits long enough to ask.
TF_INDOUBT_POINTS='txpart.before-inquire-send txpart.after-inquire-send
txpart.before-outcome-send txpart.after-outcome-send
txpart.before-heuristic-force txpart.after-heuristic-force
txpart.before-heuristic-report-send txpart.after-heuristic-report-send
txcoord.before-outcome-send txcoord.after-outcome-send
txcoord.before-ack-send txcoord.after-ack-send
txcoord.before-mismatch-force txcoord.after-mismatch-force'

# Points that no CLI workload can reach, each with the reason. The matrix
# runs them like any other and fails if one IS hit (then it belongs in the
# matrix proper: remove it here).
#   txcoord.{before,after}-end-force: END is appended without force (DESIGN
#   §7: "write END (no force)"); daemon::Node hits a "-force" point only for
#   a forced append, so these two names are listed but can never fire.
TF_ALLOWED_MISSES='txcoord.before-end-force txcoord.after-end-force'

# tf_cell_generic POINT: the generic workload with POINT armed (crash on its
# second hit) in participant 0 or the coordinator.
tf_cell_generic() {
  local spec="$TF_POINT=crash@2"
  if [[ $TF_ROLE == txpart ]]; then tf_cluster "$spec" "" || return 1; else tf_cluster "" "$spec" || return 1; fi
  tf_trace "cluster up"
  tf_generic_workload
  tf_wait_job "$TF_WORKLOAD_PID" || return 1
  tf_trace "workload done"
  # A point the workload passed may fire a moment later (a retry, a timer).
  local i
  for i in $(seq 20); do
    ((TF_CRASHED)) && break
    tf_reap_armed || return 1
    sleep 0.05
  done
  tf_trace "crashed: $TF_CRASHED"
  tf_quiesce || return 1
  tf_trace "quiescent"
  tf_check_alive
  tf_check_workload
  tf_trace "checked"
  tf_check_no_leak
  tf_trace "no leak"
}

# tf_cell_indoubt POINT: two transactions commit, then the coordinator
# crashes just before forcing the third's decision (a setup crash, not the
# point under test), leaving it in doubt on s0 and s1. s0 is asked to put
# one of its keys (refused), both ask the coordinator and then each other,
# an operator commits it on s0 by hand (a heuristic decision that
# contradicts the presumed abort), and the coordinator comes back and flags
# the mismatch. POINT is armed (crash on its first hit) in s0 from the
# start, or in the coordinator once it restarts.
tf_cell_indoubt() {
  local spec="$TF_POINT=crash@1" rc=0 i txid inq0 inq1 resolved=0 a b
  local setup='txcoord.before-commit-force=crash@3'
  if [[ $TF_ROLE == txpart ]]; then tf_cluster "$spec" "$setup" || return 1; else tf_cluster "" "$setup" || return 1; fi
  tf_manifest_reset
  tf_txn atomic v1 "${POOL0[1]}" "${POOL1[1]}"
  tf_txn atomic v2 "${POOL0[2]}" "${POOL1[2]}"
  a=${POOL0[3]} b=${POOL1[3]}
  tf_txn atomic v3 "$a" "$b"
  EXCUSED[v3]='resolved by hand on s0'
  # In the background: the client waits for the third in vain.
  tf_submit d --window 1 --timeout 1500 --retries 0 &
  local submit=$!
  # The setup crash.
  for i in $(seq 100); do kill -0 "$COORD_PID" 2>/dev/null || break; sleep 0.05; done
  wait "$COORD_PID" 2>/dev/null || rc=$?
  COORD_PID=''
  ((rc == 137)) || { tf_fail "the coordinator should have crashed at txcoord.before-commit-force (exit $rc)"; return 1; }
  # Both wait in doubt, and ask the coordinator; after 3 tries they ask
  # each other too (s0 answers s1: txpart.*-outcome-send).
  local want0=1 want1=1
  [[ $TF_POINT == txpart.*-outcome-send ]] && want1=3
  for i in $(seq 100); do
    tf_reap_armed || return 1
    inq0=$(tf_txpart prepared --connect "${PART_EP[0]}" 2>/dev/null | awk -F'\t' -v k="$a" '$6 == k { print $7 }')
    inq1=$(tf_txpart prepared --connect "${PART_EP[1]}" 2>/dev/null | awk -F'\t' -v k="$b" '$6 == k { print $7 }')
    ((${inq0:-0} >= want0 && ${inq1:-0} >= want1)) && break
    sleep 0.1
  done
  ((${inq1:-0} >= want1)) || { tf_fail "in doubt: s1 sent $inq1 inquiries, want $want1"; return 1; }
  wait "$submit" && tf_fail "submit: the third transaction cannot have committed"
  # (s0 may be crashing at its point right now: ask until it answers.)
  for i in $(seq 30); do
    tf_reap_armed || return 1
    txid=$(tf_txpart prepared --connect "${PART_EP[0]}" --timeout 500 2>/dev/null |
      awk -F'\t' -v k="$a" '$6 == k { print $1 }')
    [[ -n $txid ]] && break
    sleep 0.1
  done
  [[ -n $txid ]] || { tf_fail "s0 does not list the in-doubt transaction"; return 1; }
  rc=0
  tf_reap_armed || return 1
  tf_txpart put --connect "${PART_EP[0]}" --timeout 1000 --retries 0 "$a" other 2>/dev/null || rc=$?
  # (Unless s0 crashed meanwhile: then there was no answer at all.)
  if ((rc != 75)) && kill -0 "${PART_PID[0]}" 2>/dev/null; then
    tf_fail "a direct put on a key held in doubt: exit $rc, want 75"
  fi
  tf_reap_armed || return 1
  if tf_txpart resolve --connect "${PART_EP[0]}" --timeout 1000 --retries 0 "$txid" --commit \
    >"$CLUSTER_DIR/resolve.out" 2>&1; then
    resolved=1
  fi
  tf_reap_armed || return 1
  if [[ $TF_ROLE == txcoord ]]; then
    SHARDKIT_FAILPOINTS=$spec tf_coord_start || { tf_fail "coordinator restart"; return 1; }
  else
    tf_coord_start || { tf_fail "coordinator restart"; return 1; }
  fi
  for i in $(seq 60); do
    ((TF_CRASHED)) && break
    tf_reap_armed || return 1
    sleep 0.05
  done
  tf_quiesce || return 1
  tf_check_alive
  tf_check_workload
  # The decision was never forced: presumed abort everywhere but where an
  # operator said commit, and that contradiction is flagged.
  [[ -z ${VALUE[$b]+set} ]] || tf_fail "s1 applied the in-doubt transaction the coordinator never decided"
  if ((resolved)) && [[ ${VALUE[$a]:-} != v3 ]]; then
    tf_fail "resolve --commit was acknowledged, but s0 lacks the write"
  fi
  if [[ -n ${VALUE[$a]+set} ]]; then
    tf_txcoord heuristics --connect "$COORD_EP" | grep -qP "^\Q$txid\E\t.*\taborted\tcommitted\tyes$" ||
      tf_fail "s0 committed $txid by hand, but the coordinator shows no mismatch: $(tf_txcoord heuristics --connect "$COORD_EP" 2>&1)"
  fi
  tf_check_no_leak
}

# tf_cell POINT DIR: one cell of the matrix, in DIR. Returns 0 when POINT
# was hit and every check passed, 3 when it was not hit, 1 on a failure.
tf_cell() {
  TF_POINT=$1
  TF_ROLE=${TF_POINT%%.*}
  CLUSTER_DIR=$2
  mkdir -p "$CLUSTER_DIR"
  local start=$SECONDS
  if grep -qw -- "$TF_POINT" <<<"$TF_INDOUBT_POINTS"; then
    tf_cell_indoubt || TF_FAILED=1
  else
    tf_cell_generic || TF_FAILED=1
  fi
  tf_check_clean_stop
  tf_trace "stopped"
  tf_note "$TF_POINT: $((SECONDS - start))s, crashes: $TF_CRASHED"
  if ((TF_FAILED)); then return 1; fi
  ((TF_CRASHED)) || return 3
  return 0
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  set -u
  PIDS=()
  trap 'tf_kill_ours "$2" "${PIDS[@]}"; rm -f "$2/pids"' EXIT
  rc=0
  tf_cell "$1" "$2" || rc=$?
  if ((rc == 1)); then tf_dump_logs >&2; fi
  exit "$rc"
fi
