#!/usr/bin/env bats
# A replicated coordinator: txcoord as the writer of a replication group of
# two (ack flushed:1), over two unreplicated participants. Its primary is
# crashed at a failpoint in the middle of a two-phase commit; the standby
# is promoted and must finish what the old primary decided (re-drive), and
# answer the participants' INQUIRE for what it never decided (presumed
# abort). A standby never answers INQUIRE at all: it refuses NOT_PRIMARY,
# and the participants stay in doubt rather than guess.
load ../integration/helpers
load ../../share/scripts/cluster
load ../../share/scripts/group

txcoord() { "$SHARDKIT_BIN/txcoord" "$@"; }
txpart() { "$SHARDKIT_BIN/txpart" "$@"; }
replicad() { "$SHARDKIT_BIN/replicad" "$@"; }

setup() {
  common_setup
  CLUSTER_DIR=$TMP
  CLUSTER_RING=$TMP/cluster.ring
  ringctl new -o "$CLUSTER_RING"
  CLUSTER_PART_ARGS=(--inquire-initial 100 --inquire-max 300)
  part_start 0
  part_start 1
  ringctl add "$CLUSTER_RING" s0 "${PART_EP[0]}"
  ringctl add "$CLUSTER_RING" s1 "${PART_EP[1]}"
  # One key on each shard.
  K0='' K1=''
  for i in $(seq 100); do
    case $(cluster_owner "key$i") in
      0) K0=${K0:-key$i} ;;
      1) K1=${K1:-key$i} ;;
    esac
    [[ -n $K0 && -n $K1 ]] && break
  done
  [[ -n $K0 && -n $K1 ]]
  GROUP_WRITER=txcoord
  group_create c 2
  # Every member advertises the whole group: PREPARE carries the list, and
  # a participant in doubt asks each in turn.
  local all
  all=$(group_endpoints c)
  MEMBER_WARGS[c.0]="--advertise $all"
  MEMBER_WARGS[c.1]="--advertise $all"
}
teardown() { common_teardown; }

# Starts the group with c.0 primary; its writer runs with failpoints $1.
start_coordinators() {
  SHARDKIT_FAILPOINTS=$1 member_start c.0
  member_start c.1
  replicad promote --connect "${MEMBER_REP[c.0]}" >/dev/null
  member_wait_role c.0 primary
  # Opening balances, committed through the group.
  printf 'put %s 100\nput %s 100\ncommit\n' "$K0" "$K1" |
    txcoord submit --connect "$(group_endpoints c)" --txid open --timeout 5000 >/dev/null
}

# Submits a transfer that the primary crashes in the middle of, and waits
# until it is gone and both participants hold the transaction prepared.
crash_in_transfer() {
  local txid=$1 i
  printf 'put %s 90\nput %s 110\ncommit\n' "$K0" "$K1" |
    txcoord submit --connect "${MEMBER_PEP[c.0]}" --txid "$txid" --timeout 1000 --retries 0 \
      >/dev/null 2>&1 || true
  for i in $(seq 100); do
    kill -0 "${MEMBER_PPID[c.0]}" 2>/dev/null || break
    sleep 0.05
  done
  ! kill -0 "${MEMBER_PPID[c.0]}" 2>/dev/null
  member_stop c.0 KILL
  for p in 0 1; do
    txpart prepared --connect "${PART_EP[p]}" >"$TMP/prepared"
    grep -q "^$txid@" "$TMP/prepared" || { cat "$TMP/prepared" >&2; return 1; }
  done
}

# inquiries_total of participant $1.
inquiries() {
  txpart status --connect "${PART_EP[$1]}" | awk -F'\t' '$1 == "inquiries_total" { print $2 }'
}

# Waits (bounded) until neither participant holds a prepared transaction.
wait_resolved() {
  local i
  for i in $(seq 100); do
    [[ -z $(txpart prepared --connect "${PART_EP[0]}")$(txpart prepared --connect "${PART_EP[1]}") ]] &&
      return 0
    sleep 0.1
  done
  txpart prepared --connect "${PART_EP[0]}" >&2
  txpart prepared --connect "${PART_EP[1]}" >&2
  return 1
}

@test "the promoted coordinator re-drives a commit the old primary decided but never sent" {
  # Crash before the first COMMIT of t1 leaves (the opening sent two): the decision is durable on the
  # primary and, at flushed:1, on the standby.
  start_coordinators txcoord.before-commit-send=crash@3
  crash_in_transfer t1
  replicad promote --connect "${MEMBER_REP[c.1]}" >/dev/null
  member_wait_role c.1 primary
  # At flushed:1 the promoted coordinator acts on its log (re-drives) once
  # a replica holds all of it: the old primary, restarted, rejoins.
  member_start c.0
  wait_resolved
  run txcoord outcome --connect "${MEMBER_PEP[c.1]}" t1
  [ "$status" -eq 0 ]
  [[ $output == *committed* ]]
  [ "$(txpart get --connect "${PART_EP[0]}" "$K0" | cut -f2)" = 90 ]
  [ "$(txpart get --connect "${PART_EP[1]}" "$K1" | cut -f2)" = 110 ]
}

@test "a standby coordinator refuses INQUIRE; once promoted it answers: presumed abort" {
  # Crash before the decision on t2 (the second) is forced: nobody decided it.
  start_coordinators txcoord.before-commit-force=crash@2
  crash_in_transfer t2
  # The participants ask (c.0 is gone, c.1 a standby that refuses): they
  # stay in doubt, holding their locks, instead of guessing.
  before0=$(inquiries 0)
  sleep 1.2
  [ "$(inquiries 0)" -gt "$before0" ]
  txpart prepared --connect "${PART_EP[0]}" | grep -q '^t2@'
  txpart prepared --connect "${PART_EP[1]}" | grep -q '^t2@'
  # Promoted alone, c.1 waits for a replica to hold its log (flushed:1)
  # and still answers nothing.
  replicad promote --connect "${MEMBER_REP[c.1]}" >/dev/null
  member_wait_role c.1 primary
  sleep 0.5
  txpart prepared --connect "${PART_EP[0]}" | grep -q '^t2@'
  # The old primary rejoins as its replica: c.1 has no decision for t2, and
  # its answer to the next INQUIRE is ABORTED.
  member_start c.0
  member_wait_role c.0 replica
  wait_resolved
  [ "$(txpart get --connect "${PART_EP[0]}" "$K0" | cut -f2)" = 100 ]
  [ "$(txpart get --connect "${PART_EP[1]}" "$K1" | cut -f2)" = 100 ]
  run txcoord outcome --connect "${MEMBER_PEP[c.1]}" t2
  [[ $output != *committed* ]]
  # Transactions on the same keys commit.
  printf 'put %s 1\nput %s 2\ncommit\n' "$K0" "$K1" |
    txcoord submit --connect "$(group_endpoints c)" --txid t3 --timeout 5000 | grep -q $'^t3\tcommitted'
}
