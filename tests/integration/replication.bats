#!/usr/bin/env bats
# replicad with txpart on loopback (group.bash): streaming to a hot standby,
# ack levels that never degrade, manual promotion, a crashed primary, and
# the old primary rejoining with its divergent tail cut off.
load helpers
load ../../share/scripts/cluster
load ../../share/scripts/group

txpart() { "$SHARDKIT_BIN/txpart" "$@"; }
replicad() { "$SHARDKIT_BIN/replicad" "$@"; }

setup() {
  common_setup
  CLUSTER_DIR=$TMP
}
teardown() { common_teardown; }

# The column named $2 of member $1's own status row.
self_col() {
  replicad status --connect "${MEMBER_REP[$1]}" --json |
    grep '"kind":"self"' | grep -o "\"$2\":\"[^\"]*\"" | cut -d'"' -f4
}

@test "a standby follows the primary, serves reads and refuses writes" {
  group_create g 2
  group_start g
  [ "$(group_primary g)" = g.0 ]
  for i in $(seq 1 20); do txpart put --connect "${MEMBER_PEP[g.0]}" "k$i" "v$i" >/dev/null; done
  member_wait_value g.1 k20 v20
  run txpart get --connect "${MEMBER_PEP[g.1]}" k1 k7
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "k1	v1" ]
  [ "${lines[1]}" = "k7	v7" ]
  run txpart put --connect "${MEMBER_PEP[g.1]}" k1 nope
  [ "$status" -eq 75 ]
  [[ $output == *"not primary"* ]]
  # The refusal names the primary's client endpoint, so a client given the
  # whole list goes straight there.
  [[ $output == *"primary ${MEMBER_PEP[g.0]}"* ]]
  member_wait_value g.1 k1 v1
  # Status: the primary lists the replica with every position caught up.
  run replicad status --connect "${MEMBER_REP[g.0]}"
  [ "$status" -eq 0 ]
  [[ ${lines[0]} == g.0$'\t'self$'\t'primary$'\t'1$'\t'* ]]
  replica=$(printf '%s\n' "${lines[@]}" | awk -F'\t' '$2 == "replica"')
  [ "$(echo "$replica" | cut -f1)" = g.1 ]
  durable=$(self_col g.0 flushed_lsn)
  [ "$durable" -ge 20 ]
  for _ in $(seq 50); do
    [ "$(replicad status --connect "${MEMBER_REP[g.0]}" | awk -F'\t' '$2 == "replica" { print $10 }')" = "$durable" ] && break
    sleep 0.05
  done
  [ "$(replicad status --connect "${MEMBER_REP[g.0]}" | awk -F'\t' '$2 == "replica" { print $10 }')" = "$durable" ]
  [ "$(self_col g.1 role)" = replica ]
  [ "$(self_col g.1 epoch)" = 1 ]
}

@test "flushed:1 never degrades: with the replica down a put is 'not replicated' (75)" {
  GROUP_WRITER_ARGS="--ack-timeout 400"
  group_create g 2
  group_start g
  txpart put --connect "${MEMBER_PEP[g.0]}" before 1 >/dev/null
  member_stop g.1
  run txpart put --connect "${MEMBER_PEP[g.0]}" --timeout 3000 --retries 0 during 1
  [ "$status" -eq 75 ]
  [[ $output == *"replication not confirmed"* ]]
  # Back: the held write reaches the replica, and new writes are acked.
  member_start g.1
  run txpart put --connect "${MEMBER_PEP[g.0]}" --timeout 5000 after 1
  [ "$status" -eq 0 ]
  member_wait_value g.1 during 1
  member_wait_value g.1 after 1
}

@test "kill -9 the primary under load, promote the replica: no acked write is lost" {
  group_create g 2
  group_start g
  # A writer acknowledges keys one by one at flushed:1 until its primary dies.
  (
    for i in $(seq 1 100000); do
      txpart put --connect "${MEMBER_PEP[g.0]}" --timeout 1000 --retries 0 "w$i" "$i" \
        >/dev/null 2>&1 || break
      echo "w$i" >>"$TMP/acked"
    done
  ) &
  load_pid=$!
  PIDS+=("$load_pid")
  for _ in $(seq 100); do [ "$(wc -l <"$TMP/acked" 2>/dev/null || echo 0)" -ge 50 ] && break; sleep 0.05; done
  member_stop g.0 KILL
  wait "$load_pid" || true
  acked=$(wc -l <"$TMP/acked")
  [ "$acked" -ge 50 ]
  run replicad promote --connect "${MEMBER_REP[g.1]}"
  [ "$status" -eq 0 ]
  [ "$(group_wait_primary g g.0)" = g.1 ]
  [ "$(self_col g.1 epoch)" = 2 ]
  # Every acknowledged key is on the new primary.
  missing=0
  while read -r k; do
    v=$(txpart get --connect "${MEMBER_PEP[g.1]}" "$k" | cut -f2)
    [ "$v" = "${k#w}" ] || { echo "lost $k" >&2; missing=$((missing + 1)); }
  done <"$TMP/acked"
  [ "$missing" -eq 0 ]
}

@test "the old primary rejoins as a replica and truncates its divergent tail" {
  GROUP_WRITER_ARGS="--ack-timeout 300"
  group_create g 2
  group_start g
  txpart put --connect "${MEMBER_PEP[g.0]}" common 1 >/dev/null
  member_wait_value g.1 common 1
  # The replica goes away; the primary writes a record nobody acks.
  member_stop g.1 KILL
  run txpart put --connect "${MEMBER_PEP[g.0]}" --timeout 2000 --retries 0 divergent x
  [ "$status" -eq 75 ]
  member_stop g.0 KILL
  # The replica comes back alone. Promoting it could lose what the primary
  # wrote after its last ack, so it needs --accept-data-loss.
  member_start g.1
  run replicad promote --connect "${MEMBER_REP[g.1]}"
  [ "$status" -eq 1 ]
  [[ $output == *"accept-data-loss"* ]]
  run replicad promote --connect "${MEMBER_REP[g.1]}" --accept-data-loss
  [ "$status" -eq 0 ]
  # The old primary restarts: DIR/replication makes its writer a standby,
  # and its replicad follows the new primary, which tells it where epoch 1
  # ended for it.
  MEMBER_RARGS[g.0]+=" --follow ${MEMBER_REP[g.1]}"
  member_start g.0
  # The promotion completes once g.0 has flushed g.1's whole log (flushed:1);
  # until then writes are refused (TEMPORARY: "promotion waits ...").
  for i in $(seq 100); do
    txpart put --connect "${MEMBER_PEP[g.1]}" --timeout 5000 fresh 2 >/dev/null 2>&1 && break
    sleep 0.1
  done
  run txpart get --connect "${MEMBER_PEP[g.1]}" fresh
  [ "$output" = "fresh	2" ]
  member_wait_value g.0 fresh 2
  # The record the old primary wrote alone is gone, never applied.
  run txpart get --connect "${MEMBER_PEP[g.0]}" divergent common
  [ "$status" -eq 1 ]
  [ "$output" = "common	1" ]
  grep -q 'msg="truncating a divergent log tail"' "$TMP/g.0.writer.log"
  [ "$(self_col g.0 role)" = replica ]
  [ "$(self_col g.0 epoch)" = 2 ]
}

@test "serve refuses a name the vote file cannot hold and an ack level the group cannot meet" {
  mkdir -p "$TMP/d"
  run replicad serve --data "$TMP/d" --listen tcp://127.0.0.1:0 --name 'a b' \
    --peers tcp://127.0.0.1:1
  [ "$status" -eq 64 ]
  [[ $output == *"--name: member name 'a b' has a bad byte ' '"* ]]
  run replicad serve --data "$TMP/d" --listen tcp://127.0.0.1:0 --name a \
    --peers tcp://127.0.0.1:1,tcp://127.0.0.1:2 --ack flushed:3
  [ "$status" -eq 64 ]
  [[ $output == *"--ack flushed:3 needs 3 replicas, but --peers names 2 other members"* ]]
}

@test "read your writes on a standby: --min-lsn waits for the lsn a put printed" {
  group_create g 2 --ack local
  group_start g
  txpart put --connect "${MEMBER_PEP[g.0]}" k v1 >/dev/null
  member_wait_value g.1 k v1
  # The standby's replicad stops: its writer serves reads but hears nothing.
  kill -STOP "${MEMBER_RPID[g.1]}"
  lsn=$(txpart put --connect "${MEMBER_PEP[g.0]}" k v2)
  [ "$lsn" -gt 0 ]
  run txpart get --connect "${MEMBER_PEP[g.1]}" k
  [ "$status" -eq 0 ]
  [ "$output" = "k	v1" ]  # without a token: whatever the standby has
  run txpart get --connect "${MEMBER_PEP[g.1]}" --min-lsn "$lsn" --timeout 300 k
  [ "$status" -eq 75 ]
  [[ $output == *"behind: applied up to lsn $((lsn - 1)), the read needs lsn $lsn"* ]]
  run txpart scan --connect "${MEMBER_PEP[g.1]}" --min-lsn "$lsn" --timeout 300
  [ "$status" -eq 75 ]
  # The primary has it; the standby once its replicad runs again.
  run txpart get --connect "${MEMBER_PEP[g.0]}" --min-lsn "$lsn" k
  [ "$output" = "k	v2" ]
  kill -CONT "${MEMBER_RPID[g.1]}"
  run txpart get --connect "${MEMBER_PEP[g.1]}" --min-lsn "$lsn" --timeout 5000 k
  [ "$status" -eq 0 ]
  [ "$output" = "k	v2" ]
  run txpart scan --connect "${MEMBER_PEP[g.1]}" --min-lsn "$lsn"
  [ "$output" = "k	v2" ]
}

@test "a put may ask for a stronger ack level than the group's, and it never degrades" {
  GROUP_WRITER_ARGS="--ack-timeout 400"
  group_create g 2 --ack local
  group_start g
  # applied:1: the reply waits until the standby applied it, so a read
  # there sees it at once.
  lsn=$(txpart put --connect "${MEMBER_PEP[g.0]}" --ack applied:1 --timeout 5000 k v1)
  [ "$lsn" -gt 0 ]
  run txpart get --connect "${MEMBER_PEP[g.1]}" k
  [ "$output" = "k	v1" ]
  run txpart del --connect "${MEMBER_PEP[g.0]}" --ack applied:1 --timeout 5000 k
  [ "$status" -eq 0 ]
  run txpart get --connect "${MEMBER_PEP[g.1]}" k
  [ "$status" -eq 1 ]
  member_stop g.1
  # The group's level (local) still answers; a put that asks for a replica
  # gets the distinct answer, never plain success.
  run txpart put --connect "${MEMBER_PEP[g.0]}" local-only 1
  [ "$status" -eq 0 ]
  run txpart put --connect "${MEMBER_PEP[g.0]}" --ack flushed:1 --timeout 3000 --retries 0 k v2
  [ "$status" -eq 75 ]
  [[ $output == *"replication not confirmed: ack level flushed:1 not met within 400 ms"* ]]
  run txpart put --connect "${MEMBER_PEP[g.0]}" --ack local k v3
  [ "$status" -eq 0 ]
  run txpart put --connect "${MEMBER_PEP[g.0]}" --ack flushed:0 k v4
  [ "$status" -eq 64 ]
  [[ $output == *"--ack: "* ]]
  # Back: the held write and the later ones reach the replica.
  member_start g.1
  member_wait_value g.1 k v3
}

@test "--max-staleness: a standby cut off from its primary refuses reads that need freshness" {
  group_create g 2 --ack local
  group_start g
  # Before any write the standby is in sync too (exit 1: no such key).
  run txpart get --connect "${MEMBER_PEP[g.1]}" --max-staleness 1000 --timeout 3000 nokey
  [ "$status" -eq 1 ]
  txpart put --connect "${MEMBER_PEP[g.0]}" k v1 >/dev/null
  member_wait_value g.1 k v1
  # Heartbeats keep an idle standby in sync.
  sleep 0.5
  run txpart get --connect "${MEMBER_PEP[g.1]}" --max-staleness 1000 k
  [ "$status" -eq 0 ]
  [ "$output" = "k	v1" ]
  kill -STOP "${MEMBER_RPID[g.1]}"
  sleep 0.6
  run txpart get --connect "${MEMBER_PEP[g.1]}" --max-staleness 300 --timeout 300 k
  [ "$status" -eq 75 ]
  [[ $output == *"behind: last in sync with the primary "*" ms ago, the read allows 300 ms"* ]]
  run txpart scan --connect "${MEMBER_PEP[g.1]}" --max-staleness 300 --timeout 300
  [ "$status" -eq 75 ]
  run txpart get --connect "${MEMBER_PEP[g.1]}" k  # no bound: whatever it has
  [ "$output" = "k	v1" ]
  run txpart get --connect "${MEMBER_PEP[g.0]}" --max-staleness 1 k  # a primary is never stale
  [ "$output" = "k	v1" ]
  kill -CONT "${MEMBER_RPID[g.1]}"
  run txpart get --connect "${MEMBER_PEP[g.1]}" --max-staleness 1000 --timeout 5000 k
  [ "$status" -eq 0 ]
  [ "$output" = "k	v1" ]
}

@test "replicad bench measures each ack level against the primary's writer" {
  group_create g 2 --ack local
  group_start g
  run replicad bench --connect "${MEMBER_PEP[g.0]}" --levels local,flushed:1 \
    --clients 4 --duration 0.3
  [ "$status" -eq 0 ]
  [ "${#lines[@]}" -eq 2 ]
  [ "$(echo "${lines[0]}" | cut -f1-3)" = "local	local	4" ]
  [ "$(echo "${lines[1]}" | cut -f1-3)" = "flushed:1	local	4" ]
  for line in "${lines[@]}"; do
    [ "$(echo "$line" | cut -f5)" -gt 0 ]  # puts
    [ "$(echo "$line" | cut -f6)" -eq 0 ]  # errors
  done
  [ "$(echo "${lines[0]}" | cut -f8)" = 1.000 ]
  run replicad bench --connect "${MEMBER_PEP[g.1]}" --duration 0.3
  [ "$status" -eq 69 ]
  [[ $output == *"is standby: run the bench against the primary's writer"* ]]
  run replicad bench --connect "${MEMBER_PEP[g.0]}" --levels local,flushed
  [ "$status" -eq 64 ]
}
