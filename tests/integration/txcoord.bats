#!/usr/bin/env bats
# txcoord against a real 3-shard cluster on loopback (cluster.bash):
# pipelines, conflicts, checks, gets, ring routing and reloads, bad input.
load helpers
load ../../share/scripts/cluster

txcoord() { "$SHARDKIT_BIN/txcoord" "$@"; }
txpart() { "$SHARDKIT_BIN/txpart" "$@"; }

setup() {
  common_setup
  cluster_start 3
}
teardown() { common_teardown; }

# Prints the first key of the form $1<n> that ring $3 (default: the
# cluster's) places on participant $2.
key_on() {
  local prefix=$1 shard=$2 ring=${3:-$CLUSTER_RING} n
  for n in $(seq 1 500); do
    if [ "$(ringctl locate "$ring" "$prefix$n" | cut -f2)" = "s$shard" ]; then
      echo "$prefix$n"
      return 0
    fi
  done
  return 1
}

# Waits (bounded) until coordinator $1 (default: the cluster's) has no
# transaction in flight. A commit is reported to the client before the
# participants apply it and release its locks, so a transaction that needs
# the previous one's keys right away must wait for this, or it may abort with
# a conflict.
wait_idle() {
  local ep=${1:-$COORD_EP}
  for _ in $(seq 100); do
    [ -z "$(txcoord inflight --connect "$ep")" ] && return 0
    sleep 0.05
  done
  echo "coordinator $ep still busy:" >&2
  txcoord inflight --connect "$ep" >&2
  return 1
}

# Starts a second coordinator on the same ring, with extra environment $1,
# and sets C2_EP. Its log is c2.log.
start_second_coordinator() {
  env $1 "$SHARDKIT_BIN/txcoord" serve --data "$TMP/c2" --ring "$CLUSTER_RING" \
    --listen 'tcp://127.0.0.1:*' --log-level info 2>c2.log &
  PIDS+=($!)
  wait_for_line c2.log 'msg=serving'
  C2_EP=$(grep -o 'listen=tcp://[0-9.:]*' c2.log | head -n 1 | cut -d= -f2)
  [ -n "$C2_EP" ]
}

@test "submit from a pipeline: every transaction commits, results in input order" {
  for i in $(seq 1 300); do
    printf 'put user:%d alice%d\nput order:%d o%d\ncommit\n' "$i" "$i" "$i" "$i"
  done >script
  run txcoord submit --connect "$COORD_EP" --txid batch --window 32 <script
  [ "$status" -eq 0 ]
  [ "${#lines[@]}" -eq 300 ]
  # batch, batch.2, ... batch.300, in that order, all committed.
  { echo batch; seq -f 'batch.%g' 2 300; } >expected
  cut -f1 <<<"$output" | cmp - expected
  [ "$(cut -f2 <<<"$output" | sort -u)" = committed ]
  wait_idle
  run txcoord get --connect "$COORD_EP" user:1 order:300 user:150
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf 'user:1\talice1\norder:300\to300\nuser:150\talice150')" ]
  # Submitting the same input again is idempotent: the remembered outcomes.
  run txcoord submit --connect "$COORD_EP" --txid batch --window 32 <script
  [ "$status" -eq 0 ]
  run txcoord status --connect "$COORD_EP"
  [[ "$output" == *$'\nretries\t300\n'* ]]
  [[ "$output" == *$'\ncommitted\t301\n'* ]]  # and the read-only get
}

@test "a script's dependent transactions run in order, without conflicting with each other" {
  # Each transaction checks what the one before it wrote, on the same keys,
  # with the full window: submit holds a transaction back while one on its
  # keys is in flight, and a participant still forcing the previous commit
  # makes the next PREPARE wait for it instead of refusing.
  {
    printf 'put a 0\nput b 0\ncommit\n'
    for i in $(seq 1 100); do
      printf 'check a = %d\ncheck b = %d\nput a %d\nput b %d\ncommit\n' \
        $((i - 1)) $((i - 1)) "$i" "$i"
    done
  } >script
  run txcoord submit --connect "$COORD_EP" --window 64 <script
  [ "$status" -eq 0 ]
  [ "$(cut -f2 <<<"$output" | sort | uniq -c | tr -s ' ')" = " 101 committed" ]
  run txcoord get --connect "$COORD_EP" a b
  [ "$output" = "$(printf 'a\t100\nb\t100')" ]
}

@test "submit to something that is not a coordinator fails at once with 69" {
  run timeout 10 "$SHARDKIT_BIN/txcoord" submit --connect "${PART_EP[0]}" <<<"put x 1"
  [ "$status" -eq 69 ]
  [[ "$output" == *"does not handle SUBMIT"* || "$output" == *"unsupported"* ]]
}

@test "conflict: the transaction holding the lock commits, the other aborts naming the key" {
  ka=$(key_on acct: 0)
  kb=$(key_on acct: 1)
  # The second coordinator stops for 4 s with both participants prepared
  # (locks held): just before it forces its commit decision.
  start_second_coordinator 'SHARDKIT_FAILPOINTS=txcoord.before-commit-force=sleep(4000)@1'
  printf 'put %s 1\nput %s 1\n' "$ka" "$kb" |
    timeout 30 "$SHARDKIT_BIN/txcoord" submit --connect "$C2_EP" --txid holder >holder.out &
  holder=$!
  for _ in $(seq 100); do
    txpart prepared --connect "${PART_EP[0]}" | grep -q '^holder@' && break
    sleep 0.05
  done
  txpart prepared --connect "${PART_EP[0]}" | grep -q '^holder@'
  run txcoord submit --connect "$COORD_EP" --txid loser <<<"put $ka 2"
  [ "$status" -eq 1 ]
  [[ "$output" == "loser"$'\t'"aborted"$'\t'*"key '$ka' is locked by transaction holder@"* ]]
  run txcoord submit --connect "$COORD_EP" --txid loser2 --json <<<"put $ka 2"
  [ "$status" -eq 1 ]
  [[ "$output" == *'"outcome":"aborted"'*"\"key\":\"$ka\""* ]]
  wait "$holder"
  [ "$(cat holder.out)" = "holder"$'\t'"committed"$'\t' ]
  wait_idle "$C2_EP"
  run txcoord get --connect "$COORD_EP" "$ka" "$kb"
  [ "$output" = "$ka"$'\t1\n'"$kb"$'\t1' ]
}

@test "a failed check aborts the transaction, naming the key; nothing of it is applied" {
  ka=$(key_on bal: 0)
  kb=$(key_on bal: 2)
  txcoord submit --connect "$COORD_EP" <<<"put $ka 100"
  wait_idle
  run txcoord submit --connect "$COORD_EP" --txid t1 <<<$'check '"$ka"$' = 99\nput '"$kb"' 1'
  [ "$status" -eq 1 ]
  [[ "$output" == "t1"$'\t'"aborted"$'\t'*"check failed: key '$ka'"* ]]
  wait_idle
  run txcoord submit --connect "$COORD_EP" --txid t2 <<EOF2
check $kb absent
check $ka = 100
put $ka 50
put $kb 50
EOF2
  [ "$status" -eq 0 ]
  [ "$output" = "t2"$'\t'"committed"$'\t' ]
  wait_idle
  run txcoord submit --connect "$COORD_EP" --txid t3 --json <<<$'check '"$ka"$' absent\nput '"$kb"' 7'
  [ "$status" -eq 1 ]
  [[ "$output" == *'"outcome":"aborted"'*"\"key\":\"$ka\""* ]]
  wait_idle
  run txcoord get --connect "$COORD_EP" "$ka" "$kb"
  [ "$output" = "$ka"$'\t50\n'"$kb"$'\t50' ]
}

@test "get: results follow the transaction's line; txcoord get reads through the ring" {
  txcoord submit --connect "$COORD_EP" <<<$'put k1 v1\nput k\\x09tab hello\\sworld'
  wait_idle
  run txcoord submit --connect "$COORD_EP" --txid g <<<$'get k1\nget nokey\nget k\\ttab'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "g"$'\t'"committed"$'\t' ]
  [ "${lines[1]}" = "get"$'\t'"k1"$'\t'"found"$'\t'"v1" ]
  [ "${lines[2]}" = "get"$'\t'"nokey"$'\t'"absent"$'\t' ]
  [ "${lines[3]}" = "get"$'\t'"k\\ttab"$'\t'"found"$'\t'"hello world" ]
  run txcoord submit --connect "$COORD_EP" --json --txid g <<<$'get k1'
  [[ "$output" == *'"reads":[{"key":"k1","found":true,"value":"v1"}'* ]]
  # Keys from stdin; a missing key prints nothing and makes the exit 1.
  run txcoord get --connect "$COORD_EP" - < <(printf 'k1\nnokey\n')
  [ "$status" -eq 1 ]
  [ "$output" = "k1"$'\t'"v1" ]
  run txcoord get --connect "$COORD_EP" --json k1
  [ "$output" = '{"key":"k1","value":"v1"}' ]
}

@test "ring routing: each key lands on its owner; SIGHUP routes new keys to the new owner" {
  for i in $(seq 1 30); do printf 'put r%d v%d\n\n' "$i" "$i"; done |
    txcoord submit --connect "$COORD_EP" >/dev/null
  for i in $(seq 1 30); do
    owner=$(cluster_owner "r$i")
    for s in 0 1 2; do
      run txpart get --connect "${PART_EP[s]}" "r$i"
      if [ "$s" = "$owner" ]; then
        [ "$status" -eq 0 ] && [ "$output" = "r$i"$'\t'"v$i" ]
      else
        [ "$status" -eq 1 ] && [ -z "$output" ]
      fi
    done
  done

  # Remove s0: keys it owned now route to another participant.
  cp "$CLUSTER_RING" old.ring
  ringctl remove "$CLUSTER_RING" s0
  gen=$(ringctl show "$CLUSTER_RING" | awk -F'\t' '$1 == "summary" { print $8 }')
  kill -HUP "$COORD_PID"
  wait_for_line "$CLUSTER_DIR/coord.log" "msg=\"reloaded ring\".*generation=$gen"
  moved=$(key_on n 0 old.ring)  # on s0 in the old ring...
  new_owner=$(cluster_owner "$moved")  # ...elsewhere in the new one
  [ "$new_owner" != 0 ]
  txcoord submit --connect "$COORD_EP" <<<"put $moved after-remove"
  run txpart get --connect "${PART_EP[new_owner]}" "$moved"
  [ "$output" = "$moved"$'\tafter-remove' ]
  run txpart get --connect "${PART_EP[0]}" "$moved"
  [ "$status" -eq 1 ]

  # A broken ring is refused; the last good one keeps routing.
  echo 'node broken weight=-1' >>"$CLUSTER_RING"
  kill -HUP "$COORD_PID"
  wait_for_line "$CLUSTER_DIR/coord.log" 'ring reload failed; still routing with the previous ring'
  run txcoord submit --connect "$COORD_EP" <<<"put $moved again"
  [ "$status" -eq 0 ]
  run txpart get --connect "${PART_EP[new_owner]}" "$moved"
  [ "$output" = "$moved"$'\tagain' ]

  # Adding s0 back routes its keys to it again.
  cp old.ring "$CLUSTER_RING"
  kill -HUP "$COORD_PID"
  gen=$(ringctl show "$CLUSTER_RING" | awk -F'\t' '$1 == "summary" { print $8 }')
  wait_for_line "$CLUSTER_DIR/coord.log" "msg=\"reloaded ring\".*generation=$gen"
  txcoord submit --connect "$COORD_EP" <<<"put $moved back"
  run txpart get --connect "${PART_EP[0]}" "$moved"
  [ "$output" = "$moved"$'\tback' ]
}

@test "bad input: exit 65 with the line; nothing of it is sent; the rest still runs" {
  run txcoord submit --connect "$COORD_EP" --txid b <<'EOF2'
put good1 1

put bad1
put bad2 2

put good2 2
EOF2
  [ "$status" -eq 65 ]
  [[ "$output" == *"txcoord: line 3: "* ]]
  [[ "$output" == *"b"$'\t'"committed"* ]]
  [[ "$output" == *"b.3"$'\t'"committed"* ]]
  [[ "$output" != *"b.2"* ]]
  wait_idle
  run txcoord get --connect "$COORD_EP" good1 good2 bad2
  [ "$status" -eq 1 ]
  [ "$output" = $'good1\t1\ngood2\t2' ]
}

@test "outcome unknown after the retries: exit 75, how to ask, and outcome tells later" {
  start_second_coordinator 'SHARDKIT_FAILPOINTS=txcoord.before-submit-result-send=sleep(3000)@1'
  run txcoord submit --connect "$C2_EP" --txid slow --timeout 300 --retries 1 <<<'put s 1'
  [ "$status" -eq 75 ]
  [[ "$output" == *"slow"$'\t'"unknown"$'\t'"no reply after 2 tries"* ]]
  [[ "$output" == *"txcoord outcome --connect $C2_EP slow"* ]]
  for _ in $(seq 100); do
    txcoord outcome --connect "$C2_EP" slow >out && break
    sleep 0.05
  done
  [ "$(cut -f1,2 out)" = "slow"$'\t'"committed" ]
  run txcoord outcome --connect "$C2_EP" never
  [ "$status" -eq 75 ]
  [[ "$output" == "never"$'\t'"unknown"* ]]
}

@test "status, inflight and heuristics answer; SIGTERM stops everything with exit 0" {
  txcoord submit --connect "$COORD_EP" <<<$'put a 1\nput b 2\nput c 3'
  run txcoord status --connect "$COORD_EP"
  [ "$status" -eq 0 ]
  for name in submitted committed aborted one_phase read_only retries inquiries \
    heuristic_mismatches in_flight commit_rate abort_rate latency_p50_ms latency_p95_ms \
    latency_p99_ms latency_max_ms wal_fsyncs wal_records ring_generation; do
    grep -q "^$name"$'\t' <<<"$output" || { echo "no $name"; false; }
  done
  run txcoord status --connect "$COORD_EP" --json
  [[ "${lines[0]}" == '{"name":"tag","value":"'* ]]
  run txcoord inflight --connect "$COORD_EP"
  [ "$status" -eq 0 ] && [ -z "$output" ]
  run txcoord heuristics --connect "$COORD_EP"
  [ "$status" -eq 0 ] && [ -z "$output" ]
  cluster_stop
}
