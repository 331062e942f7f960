#!/usr/bin/env bash
# The main job: a local 3-shard cluster with one coordinator, in a temporary
# directory, on loopback ports the system picks. A bank-transfer workload
# runs through `txcoord submit`; a participant is killed with kill -9 in the
# middle of a transaction it has voted for; it restarts with the
# transaction in doubt, which then resolves; and the total balance is
# checked at the end. Stops everything it started. Usage: demo.sh BINDIR
set -euo pipefail
bin=$(cd "${1:?usage: demo.sh BINDIR}" && pwd)
here=$(cd "$(dirname "$0")/../.." && pwd)
export SHARDKIT_BIN=$bin
CLUSTER_DIR=$(mktemp -d)
# shellcheck source=cluster.bash
source "$here/share/scripts/cluster.bash"

trap cluster_cleanup EXIT
trap 'exit 130' INT TERM

step() { printf '\n== %s\n' "$*"; }
ringctl() { "$bin/ringctl" "$@"; }
txcoord() { "$bin/txcoord" "$@"; }
txpart() { "$bin/txpart" "$@"; }
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

step "start 3 participants and a coordinator (ports picked at run time)"
CLUSTER_PART_ARGS=(--inquire-initial 1000 --inquire-max 2000)
cluster_start 3
echo "data and logs in $CLUSTER_DIR"
ringctl show "$CLUSTER_RING" | table

step "open $ACCOUNTS accounts with $OPENING each, in one transaction across the shards"
for ((i = 0; i < ACCOUNTS; i++)); do echo "put acct:$i $OPENING"; done |
  txcoord submit --connect "$COORD_EP" --txid open-accounts
for ((i = 0; i < 3; i++)); do
  echo "s$i holds $(txpart scan --connect "${PART_EP[i]}" --prefix acct: | wc -l) accounts"
done

step "bank transfers through txcoord submit: 5 rounds"
for _ in 1 2 3 4 5; do round; done
echo "committed $committed, aborted $aborted, total $(total) (expected $TOTAL)"

step "kill -9 a participant in the middle of a transaction"
# s1 restarts with a failpoint that stalls it for 5 s right after its third
# YES vote, so a transfer is prepared there while the coordinator decides.
part_stop 1
SHARDKIT_FAILPOINTS='txpart.after-vote-send=sleep(5000)@3' part_start 1
round &
round_pid=$!
victim=''
for _ in $(seq 100); do
  victim=$(txcoord inflight --connect "$COORD_EP" |
    awk -F '\t' -v ep="${PART_EP[1]}" '$3 == "committed" && index($5, ep) { print $2; exit }')
  [[ -n $victim ]] && break
  sleep 0.1
done
echo "the coordinator decided to commit ${victim:-(none seen)} and waits for s1's ACK:"
txcoord inflight --connect "$COORD_EP" | table
echo "kill -9 s1 (pid ${PART_PID[1]})"
part_stop 1 KILL 2>/dev/null  # (bash would report the kill on stderr)

step "restart s1: the transaction is in doubt, its locks held across the restart"
part_start 1
txpart prepared --connect "${PART_EP[1]}" | table
for _ in $(seq 150); do
  [[ -z $(txpart prepared --connect "${PART_EP[1]}") ]] && break
  sleep 0.1
done
if [[ -z $(txpart prepared --connect "${PART_EP[1]}") ]]; then
  echo "resolved: s1 learned every outcome from the coordinator; nothing is in doubt any more"
  [[ -n $victim ]] && txcoord outcome --connect "$COORD_EP" "$victim" | table
else
  echo "still in doubt after 15 s:" >&2
  txpart prepared --connect "${PART_EP[1]}" >&2
  exit 1
fi
wait "$round_pid" || true

step "5 more rounds"
for _ in 1 2 3 4 5; do round; done

step "check: the total balance is conserved"
balances | table | paste - - - - - | column -t
got=$(total)
echo "total $got, expected $TOTAL"
[[ $got -eq $TOTAL ]] || { echo "money was created or lost" >&2; exit 1; }

step "report"
txcoord status --connect "$COORD_EP" |
  grep -E '^(submitted|committed|aborted|one_phase|read_only|latency_p50_ms|latency_p99_ms|wal_fsyncs)\s' |
  table
echo "transfers committed $committed, aborted $aborted (aborts are transfers that met a"
echo "changed balance or a held lock; each aborted as a whole)"
cluster_stop
echo "stopped every process; removing $CLUSTER_DIR"
