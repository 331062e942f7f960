#!/usr/bin/env bats
# Replication under faults, with real processes on loopback (group.bash):
# a paused primary is fenced by an election, a switchover under load, a full
# resync once retention was exceeded, and the retention cap on disk.
load ../integration/helpers
load ../../share/scripts/cluster
load ../../share/scripts/group

txpart() { "$SHARDKIT_BIN/txpart" "$@"; }
replicad() { "$SHARDKIT_BIN/replicad" "$@"; }

setup() {
  common_setup
  CLUSTER_DIR=$TMP
}
teardown() {
  # A paused process ignores SIGTERM until it runs again.
  for pid in "${PIDS[@]}"; do kill -CONT "$pid" 2>/dev/null || true; done
  common_teardown
}

@test "a paused primary is fenced: the others elect a new one and it never accepts a write again" {
  group_create g 3 --auto-failover --heartbeat 50 --lease 500 --election-timeout 300
  group_start g
  old=$(group_primary g)
  epoch=$(member_epoch "$old")
  for i in $(seq 1 10); do txpart put --connect "${MEMBER_PEP[$old]}" "k$i" "v$i" >/dev/null; done
  member_pause "$old"
  new=$(group_wait_primary g "$old")
  [ "$new" != "$old" ]
  [ "$(member_epoch "$new")" -gt "$epoch" ]
  # The new primary has every acknowledged write and takes new ones.
  member_wait_value "$new" k10 v10
  run txpart put --connect "${MEMBER_PEP[$new]}" --timeout 5000 after v
  [ "$status" -eq 0 ]
  # The old primary wakes up in the old epoch. Whatever it was doing, no
  # write it takes can be acknowledged: its replicas are in a newer epoch.
  member_resume "$old"
  for i in 1 2 3; do
    run txpart put --connect "${MEMBER_PEP[$old]}" --timeout 3000 --retries 0 stale "$i"
    [ "$status" -ne 0 ]
  done
  member_wait_role "$old" replica
  [ "$(member_epoch "$old")" = "$(member_epoch "$new")" ]
  member_wait_value "$old" after v
  # Nobody applied the stale writes.
  for m in g.0 g.1 g.2; do
    run txpart get --connect "${MEMBER_PEP[$m]}" stale
    [ "$status" -eq 1 ]
  done
}

@test "a switchover under load loses and duplicates nothing" {
  group_create g 2 --heartbeat 50
  group_start g
  # Each put carries its own sequence number; after the switchover the
  # writer carries on against the new primary.
  (
    target=${MEMBER_PEP[g.0]} other=${MEMBER_PEP[g.1]}
    for i in $(seq 1 400); do
      for _ in $(seq 100); do
        if txpart put --connect "$target" --timeout 2000 --retries 0 "s$i" "$i" >/dev/null 2>&1; then
          echo "s$i" >>"$TMP/acked"
          break
        fi
        t=$target target=$other other=$t
        sleep 0.02
      done
    done
  ) &
  load_pid=$!
  PIDS+=("$load_pid")
  for _ in $(seq 100); do [ "$(wc -l <"$TMP/acked" 2>/dev/null || echo 0)" -ge 40 ] && break; sleep 0.05; done
  run replicad switchover --connect "${MEMBER_REP[g.0]}" --to g.1
  [ "$status" -eq 0 ]
  # Bounded more loosely than the default 10 s: in CI this runs beside the
  # other fault suites, and it once timed out there (not reproduced alone or
  # under CPU load). On failure, the members' logs say why.
  if ! primary=$(CLUSTER_WAIT_S=30 group_wait_primary g g.0); then
    tail -n 40 "$TMP"/g.*.replicad.log "$TMP"/g.*.writer.log >&2
    false
  fi
  [ "$primary" = g.1 ]
  wait "$load_pid"
  [ "$(wc -l <"$TMP/acked")" -eq 400 ]
  member_wait_role g.0 replica
  member_wait_value g.0 s400 400
  # Every write is on both members exactly once, in one log.
  for m in g.0 g.1; do
    run txpart scan --connect "${MEMBER_PEP[$m]}" --prefix s
    [ "$status" -eq 0 ]
    [ "${#lines[@]}" -eq 400 ]
  done
  [ "$(member_epoch g.1)" -gt 1 ]
}

@test "a replica past the retention cap gets a full resync; the cap bounds the disk" {
  GROUP_WRITER_ARGS="--segment-bytes 16384 --snapshot-bytes 32768"
  group_create g 2 --ack local --retain-bytes 65536 --retain-age 3600
  group_start g
  txpart put --connect "${MEMBER_PEP[g.0]}" first 1 >/dev/null
  member_wait_value g.1 first 1
  member_stop g.1
  value=$(head -c 900 /dev/zero | tr '\0' x)
  for i in $(seq 1 600); do txpart put --connect "${MEMBER_PEP[g.0]}" "r$i" "$value" >/dev/null; done
  # Snapshots ran, and the log the primary keeps for its absent replica is
  # capped: about 64 KiB plus the segment being written, not 540 KB.
  for _ in $(seq 100); do
    bytes=$(du -sb "$TMP/g.0/wal" | cut -f1)
    [ "$bytes" -le $((65536 + 3 * 16384)) ] && break
    sleep 0.1
  done
  [ "$bytes" -le $((65536 + 3 * 16384)) ]
  ls "$TMP/g.0/snap" | grep -q '\.snap$'
  member_start g.1
  member_wait_value g.1 r600 "$value"
  member_wait_value g.1 first 1
  grep -q 'full resync' "$TMP/g.0.replicad.log"
  run replicad status --connect "${MEMBER_REP[g.0]}"
  resyncs=$(printf '%s\n' "${lines[@]}" | awk -F'\t' '$2 == "replica" { print $15 }')
  [ "$resyncs" -ge 1 ]
  # And it streams normally afterwards.
  txpart put --connect "${MEMBER_PEP[g.0]}" later 2 >/dev/null
  member_wait_value g.1 later 2
}

@test "a full resync starts from a snapshot the capped log continues from, once" {
  # Snapshots every 128 KiB of log, the cap keeps 16 KiB: after the second
  # batch (54 KB, no snapshot of its own) the newest snapshot is older than
  # the log the cap keeps, so a
  # replica resynced from it would need records that go as soon as the next
  # snapshot is written (a loop of full resyncs). replicad has the writer
  # take a fresh one first.
  GROUP_WRITER_ARGS="--segment-bytes 8192 --snapshot-bytes 131072"
  group_create g 2 --ack local --retain-bytes 16384 --retain-age 3600
  group_start g
  txpart put --connect "${MEMBER_PEP[g.0]}" first 1 >/dev/null
  member_wait_value g.1 first 1
  member_stop g.1
  value=$(head -c 900 /dev/zero | tr '\0' y)
  for i in $(seq 1 160); do txpart put --connect "${MEMBER_PEP[g.0]}" "w$i" "$value" >/dev/null; done
  for _ in $(seq 100); do ls "$TMP/g.0/snap" | grep -q '\.snap$' && break; sleep 0.1; done
  ls "$TMP/g.0/snap" | grep -q '\.snap$'
  for i in $(seq 161 220); do txpart put --connect "${MEMBER_PEP[g.0]}" "w$i" "$value" >/dev/null; done
  last=$(txpart status --connect "${MEMBER_PEP[g.0]}" | awk -F'\t' '$1 == "durable_lsn" { print $2 }')
  [ "$last" -gt 220 ]
  before=$(grep -c 'msg="full resync" replica="g.1"' "$TMP/g.0.replicad.log" || true)
  member_start g.1
  member_wait_value g.1 w220 "$value"
  member_wait_value g.1 first 1
  grep -q 'full resync waits for a fresh snapshot' "$TMP/g.0.replicad.log"
  after=$(grep -c 'msg="full resync" replica="g.1"' "$TMP/g.0.replicad.log")
  [ $((after - before)) -eq 1 ]
  installed=$(grep 'installing a full-resync snapshot' "$TMP/g.1.writer.log" | tail -1 |
    grep -o ' lsn=[0-9]*' | cut -d= -f2)
  [ "$installed" -ge "$last" ]
}
