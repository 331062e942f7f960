#!/usr/bin/env bash
# The main job: a local cluster of 3 shards, each a replication group of 3
# members (a primary and two hot standbys, with automatic failover), and one
# coordinator, in a temporary directory, on loopback ports picked at run
# time. A bank-transfer workload runs through `txcoord submit` while:
#   - a participant is killed with kill -9 in the middle of a transaction it
#     voted for, and restarts with the transaction in doubt, which resolves;
#   - the primary of a shard is killed with kill -9; its group elects a new
#     primary, and the old one restarts and rejoins as a replica.
# It ends by checking that the total balance is conserved, and reports
# failover time and replication lag. Stops everything it started.
# Usage: demo.sh BINDIR
set -euo pipefail
bin=$(cd "${1:?usage: demo.sh BINDIR}" && pwd)
here=$(cd "$(dirname "$0")/../.." && pwd)
export SHARDKIT_BIN=$bin
CLUSTER_DIR=$(mktemp -d)
# shellcheck source=cluster.bash
source "$here/share/scripts/cluster.bash"
# shellcheck source=group.bash
source "$here/share/scripts/group.bash"

trap cluster_cleanup EXIT
trap 'exit 130' INT TERM

step() { printf '\n== %s\n' "$*"; }
ringctl() { "$bin/ringctl" "$@"; }
txcoord() { "$bin/txcoord" "$@"; }
txpart() { "$bin/txpart" "$@"; }
replicad() { "$bin/replicad" "$@"; }
table() { column -t -s "$(printf '\t')"; }

ACCOUNTS=20
OPENING=100
TOTAL=$((ACCOUNTS * OPENING))
committed=0
aborted=0

# Prints every account's balance as "acct:N<TAB>balance", through the ring.
balances() {
  local i
  for ((i = 0; i < ACCOUNTS; i++)); do echo "acct:$i"; done | txcoord get --connect "$COORD_EP" -
}

# Writes one round of transfers to stdout: the accounts are paired at
# random, each pair once, and each transfer checks both balances it read, so
# a transfer that races with another one aborts instead of losing money.
transfers() {
  local -A bal
  local k v
  while IFS=$'\t' read -r k v; do bal[$k]=$v; done < <(balances)
  local order i a b amt
  mapfile -t order < <(seq 0 $((ACCOUNTS - 1)) | shuf)
  for ((i = 0; i + 1 < ACCOUNTS; i += 2)); do
    a=acct:${order[i]} b=acct:${order[i + 1]}
    amt=$((RANDOM % 20 + 1))
    ((bal[$a] >= amt)) || continue
    printf 'check %s = %d\ncheck %s = %d\nput %s %d\nput %s %d\ncommit\n' \
      "$a" "${bal[$a]}" "$b" "${bal[$b]}" "$a" $((bal[$a] - amt)) "$b" $((bal[$b] + amt))
  done
}

# Runs one round and adds its outcomes to the counters.
round() {
  local out rc=0
  out=$(transfers | txcoord submit --connect "$COORD_EP") || rc=$?
  committed=$((committed + $(grep -c $'\tcommitted\t' <<<"$out" || true)))
  aborted=$((aborted + $(grep -c $'\taborted\t' <<<"$out" || true)))
  return $((rc == 1 ? 0 : rc))
}

total() { balances | awk -F '\t' '{ s += $2 } END { print s + 0 }'; }

step "start 3 shards, each a replication group of 3, and a coordinator"
CLUSTER_RING=$CLUSTER_DIR/cluster.ring
GROUP_WRITER_ARGS="--inquire-initial 1000 --inquire-max 2000"
ringctl new --force -o "$CLUSTER_RING"
for g in s0 s1 s2; do
  group_create "$g" 3 --auto-failover
  group_start "$g"
  ringctl add "$CLUSTER_RING" "$g" "$(group_endpoints "$g")"
done
coord_start
echo "data and logs in $CLUSTER_DIR"
ringctl show "$CLUSTER_RING" | table
for g in s0 s1 s2; do echo "$g: primary $(group_primary "$g")"; done

step "open $ACCOUNTS accounts with $OPENING each, in one transaction across the shards"
for ((i = 0; i < ACCOUNTS; i++)); do echo "put acct:$i $OPENING"; done |
  txcoord submit --connect "$COORD_EP" --txid open-accounts
for g in s0 s1 s2; do
  echo "$g holds $(txpart scan --connect "$(group_endpoints "$g")" --prefix acct: | wc -l) accounts"
done

step "bank transfers through txcoord submit: 5 rounds"
for _ in 1 2 3 4 5; do round; done
echo "committed $committed, aborted $aborted, total $(total) (expected $TOTAL)"

step "kill -9 the primary of shard s1 in the middle of a round"
now_ms() { date +%s%3N; }
round &
round_pid=$!
sleep 0.3
victim=$(group_primary s1)
epoch=$(member_epoch "$victim")
echo "s1's primary is $victim (epoch $epoch); kill -9 its txpart and replicad"
killed_at=$(now_ms)
member_stop "$victim" KILL 2>/dev/null
# The first write the group accepts after the kill, through its endpoint
# list (the client moves on from members that are dead or standbys).
probe=0
until txpart put --connect "$(group_endpoints s1)" --timeout 500 --retries 0 \
  "probe:$probe" 1 >/dev/null 2>&1; do
  probe=$((probe + 1))
  ((probe < 200)) || { echo "s1 accepted no write for a long time" >&2; exit 1; }
done
failover_ms=$(($(now_ms) - killed_at))
new=$(group_wait_primary s1 "$victim")
echo "s1 elected $new (epoch $(member_epoch "$new")); first write accepted ${failover_ms} ms after the kill"
echo "transactions the new primary holds in doubt (they resolve by INQUIRE):"
txpart prepared --connect "${MEMBER_PEP[$new]}" | table
wait "$round_pid" || true

step "restart the old primary: it rejoins s1 as a replica and catches up"
member_start "$victim"
for _ in $(seq 100); do
  [[ $(member_role "$victim") == replica ]] &&
    replicad status --connect "${MEMBER_REP[$new]}" | grep -q "^$victim	replica" && break
  sleep 0.1
done
echo "$victim is now a $(member_role "$victim") in epoch $(member_epoch "$victim")"
replicad status --connect "${MEMBER_REP[$new]}" | cut -f1-4,8-13 | table

step "5 more rounds"
for _ in 1 2 3 4 5; do round; done
for _ in $(seq 150); do
  [[ -z $(txpart prepared --connect "${MEMBER_PEP[$new]}") ]] && break
  sleep 0.1
done

step "check: the total balance is conserved"
balances | table | paste - - - - - | column -t
got=$(total)
echo "total $got, expected $TOTAL"
[[ $got -eq $TOTAL ]] || { echo "money was created or lost" >&2; exit 1; }

step "report"
echo "failover of s1: the first write was accepted ${failover_ms} ms after kill -9 of its primary"
echo "replication lag, per replica, as each primary reports it:"
for g in s0 s1 s2; do
  replicad status --connect "${MEMBER_REP[$(group_primary "$g")]}" |
    awk -F '\t' '$2 == "replica"' | cut -f1,6,10,12,13,14
done | { printf 'replica\tprimary\tflushed_lsn\tlag_bytes\tlag_seconds\tlast_ack_age_ms\n'; cat; } | table
txcoord status --connect "$COORD_EP" |
  grep -E '^(submitted|committed|aborted|one_phase|read_only|latency_p50_ms|latency_p99_ms|wal_fsyncs)\s' |
  table
echo "transfers committed $committed, aborted $aborted (aborts are transfers that met a"
echo "changed balance or a held lock; each aborted as a whole)"
coord_stop
for g in s0 s1 s2; do group_stop "$g"; done
echo "stopped every process; removing $CLUSTER_DIR"
