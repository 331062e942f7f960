#!/usr/bin/env bats
# Chaos: 3 shards, each a replication group of 3 with automatic failover,
# and a coordinator, for about a minute. A bank workload runs throughout
# while members, primaries included, are killed with kill -9 and restarted,
# or paused with SIGSTOP and resumed, one member per group at a time. At the
# end: the total balance is conserved, and every transfer the coordinator
# acknowledged as committed is there (each one also wrote a marker key).
load ../integration/helpers
load ../../share/scripts/cluster
load ../../share/scripts/group

txcoord() { "$SHARDKIT_BIN/txcoord" "$@"; }
txpart() { "$SHARDKIT_BIN/txpart" "$@"; }

ACCOUNTS=12
OPENING=100

setup() {
  common_setup
  CLUSTER_DIR=$TMP
}
teardown() {
  for pid in "${PIDS[@]}"; do kill -CONT "$pid" 2>/dev/null || true; done
  common_teardown
}

balances() {
  local i
  for ((i = 0; i < ACCOUNTS; i++)); do echo "acct:$i"; done |
    txcoord get --connect "$COORD_EP" --timeout 5000 -
}

# One transfer script per line pair of accounts, each with its marker key
# tx:<txid-tag>:<n>; prints the script to stdout.
transfers() {
  local round=$1 k v n=0
  local -A bal
  while IFS=$'\t' read -r k v; do bal[$k]=$v; done < <(balances 2>/dev/null)
  ((${#bal[@]} == ACCOUNTS)) || return 0
  local order i a b amt
  mapfile -t order < <(seq 0 $((ACCOUNTS - 1)) | shuf)
  for ((i = 0; i + 1 < ACCOUNTS; i += 2)); do
    a=acct:${order[i]} b=acct:${order[i + 1]}
    amt=$((RANDOM % 10 + 1))
    ((bal[$a] >= amt)) || continue
    n=$((n + 1))
    printf 'check %s = %d\ncheck %s = %d\nput %s %d\nput %s %d\nput mark:%s.%d 1\ncommit\n' \
      "$a" "${bal[$a]}" "$b" "${bal[$b]}" "$a" $((bal[$a] - amt)) "$b" $((bal[$b] + amt)) \
      "r$round" "$n"
  done
}

# The workload: rounds of transfers until $TMP/stop exists (bounded). Each
# committed transfer's marker is appended to $TMP/committed.
workload() {
  local round=0 out
  while [ ! -e "$TMP/stop" ] && ((round < 2000)); do
    round=$((round + 1))
    out=$(transfers "$round" | txcoord submit --connect "$COORD_EP" --txid "r$round" \
      --timeout 3000 2>/dev/null) || true
    # txid r<round>, r<round>.2, ... : the n-th transaction of round r.
    awk -F'\t' -v r="$round" '$2 == "committed" {
        n = split($1, p, "."); print "mark:r" r "." (n == 1 ? 1 : p[2]) }' <<<"$out" \
      >>"$TMP/committed"
    sleep 0.05
  done
}

@test "a minute of kills and pauses under a bank workload loses nothing" {
  CLUSTER_RING=$TMP/cluster.ring
  ringctl new -o "$CLUSTER_RING"
  for g in s0 s1 s2; do
    # Default timeouts: on a loaded 2-core machine (CI runs suites in
    # parallel) shorter ones make the groups hold elections they need not.
    group_create "$g" 3 --auto-failover
    group_start "$g"
    ringctl add "$CLUSTER_RING" "$g" "$(group_endpoints "$g")"
  done
  coord_start
  # (Retried while a group settles: the puts are idempotent, and a new txid
  # each time, since an aborted txid stays aborted.)
  for try in $(seq 40); do
    for ((i = 0; i < ACCOUNTS; i++)); do echo "put acct:$i $OPENING"; done |
      txcoord submit --connect "$COORD_EP" --txid "open$try" >"$TMP/open" 2>&1 && break
    sleep 0.5
  done
  grep -q $'^open[0-9]*\tcommitted' "$TMP/open" || { cat "$TMP/open" >&2; false; }

  workload &
  load_pid=$!
  PIDS+=("$load_pid")

  # About 60 s of chaos: each step hits one member of one group, and that
  # member is back before the next step.
  end=$((SECONDS + 60))
  steps=0
  while ((SECONDS < end && steps < 40)); do
    steps=$((steps + 1))
    g=s$((RANDOM % 3))
    m=$g.$((RANDOM % 3))
    ((RANDOM % 2 == 0)) && m=$(group_primary "$g" || echo "$m")
    if ((RANDOM % 2 == 0)); then
      member_stop "$m" KILL 2>/dev/null
      sleep 0.$((RANDOM % 9 + 1))
      member_start "$m"
    else
      member_pause "$m"
      sleep 0.$((RANDOM % 9 + 1))
      member_resume "$m"
    fi
    sleep 0.5
  done
  touch "$TMP/stop"
  wait "$load_pid"
  echo "chaos steps: $steps; committed transfers: $(wc -l <"$TMP/committed")" >&3

  # Quiet: every group has a primary, nothing is in flight or in doubt.
  for g in s0 s1 s2; do group_wait_primary "$g" >/dev/null; done
  for _ in $(seq 200); do
    [ -z "$(txcoord inflight --connect "$COORD_EP" 2>/dev/null)" ] && break
    sleep 0.1
  done
  for g in s0 s1 s2; do
    p=$(group_primary "$g")
    for _ in $(seq 200); do
      [ -z "$(txpart prepared --connect "${MEMBER_PEP[$p]}" 2>/dev/null)" ] && break
      sleep 0.1
    done
  done

  # Conservation. A read may still meet the lock of a transaction left in
  # doubt on a promoted primary until its inquiry (backing off up to 30 s)
  # resolves it: retry the read, bounded.
  for _ in $(seq 60); do
    total=$(balances 2>>"$TMP/balances.err" | awk -F'\t' '{ s += $2; n++ } END { print n ":" s }')
    [ "${total%%:*}" = "$ACCOUNTS" ] && break
    sleep 1
  done
  echo "accounts:total $total, expected $ACCOUNTS:$((ACCOUNTS * OPENING))" >&2
  tail -3 "$TMP/balances.err" >&2 2>/dev/null || true
  [ "$total" = "$ACCOUNTS:$((ACCOUNTS * OPENING))" ]
  # Every acknowledged transfer is there.
  [ "$(wc -l <"$TMP/committed")" -gt 0 ]
  found=$(txcoord get --connect "$COORD_EP" --timeout 5000 - <"$TMP/committed" | wc -l)
  [ "$found" -eq "$(wc -l <"$TMP/committed")" ]
}
