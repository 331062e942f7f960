#!/usr/bin/env bash
# End-to-end atomic-commit benchmarks (issue targets in the closing note),
# each next to the baselines measured in the same run:
#   - the raw rate of "append 4 KiB + fdatasync" and a loopback round trip;
#   - txpart bench: single-shard durable puts, 64 clients;
#   - txcoord bench: 3 shards, 2 puts per transaction on 2 shards, 100,000
#     keys, with 64 clients and with 1;
#   - recovery: restart of a participant whose WAL holds WAL_MB megabytes and
#     no snapshot, as MB/s.
# Prints figures; never pass/fail on time.
# Usage: txn_bench.sh BINDIR BASELINE_BIN [DURATION_S] [WAL_MB]
set -euo pipefail
bin=$(cd "${1:?usage: txn_bench.sh BINDIR BASELINE_BIN [DURATION_S] [WAL_MB]}" && pwd)
baseline=${2:?usage: txn_bench.sh BINDIR BASELINE_BIN [DURATION_S] [WAL_MB]}
duration=${3:-10}
wal_mb=${4:-1024}
here=$(cd "$(dirname "$0")/../.." && pwd)
export SHARDKIT_BIN=$bin
CLUSTER_DIR=$(mktemp -d "${TMPDIR:-/var/tmp}/txn_bench.XXXXXX")
# shellcheck source=../../share/scripts/cluster.bash
source "$here/share/scripts/cluster.bash"
trap cluster_cleanup EXIT
trap 'exit 130' INT TERM

echo "== baseline (data directory's file system)"
"$baseline" "$CLUSTER_DIR" 2

echo "== cluster: 3 participants, 1 coordinator"
cluster_start 3 >/dev/null

echo "== txpart bench: durable single-shard puts, 64 clients, ${duration}s"
"$bin/txpart" bench --connect "${PART_EP[0]}" --clients 64 --duration "$duration"

echo "== txcoord bench: 3 shards, 2 puts on 2 shards, 100000 keys, 64 clients, ${duration}s"
"$bin/txcoord" bench --connect "$COORD_EP" --ring "$CLUSTER_RING" --shards 2 --ops-per-tx 2 \
  --keys 100000 --clients 64 --duration "$duration" | grep -v '^hist'

echo "== txcoord bench: the same with 1 client"
"$bin/txcoord" bench --connect "$COORD_EP" --ring "$CLUSTER_RING" --shards 2 --ops-per-tx 2 \
  --keys 100000 --clients 1 --duration "$duration" | grep -v '^hist'
cluster_stop >/dev/null

echo "== recovery: a participant with a ${wal_mb} MB WAL and no snapshot"
data=$CLUSTER_DIR/recovery
log=$CLUSTER_DIR/recovery.log
"$bin/txpart" serve --data "$data" --listen 'tcp://127.0.0.1:*' --snapshot-bytes 1000000000000 \
  --log-level info 2>>"$log" &
pid=$!
PIDS+=("$pid")
ep=$(_cluster_wait_serving "$log" 0 "$pid")
wal_bytes() { du -sb "$data/wal" | cut -f1; }
for _ in $(seq 600); do
  (($(wal_bytes) >= wal_mb * 1048576)) && break
  "$bin/txpart" bench --connect "$ep" --clients 64 --duration 5 --value-size 4000 --keys 1000000 \
    >/dev/null
done
kill -TERM "$pid"
wait "$pid" || true
bytes=$(wal_bytes)
start=$(date +%s.%N)
"$bin/txpart" serve --data "$data" --listen 'tcp://127.0.0.1:*' --log-level info 2>>"$log" &
pid=$!
PIDS+=("$pid")
_cluster_wait_serving "$log" 1 "$pid" >/dev/null
end=$(date +%s.%N)
kill -TERM "$pid"
wait "$pid" || true
echo "wal_bytes $bytes"
echo "recovery_s $(echo "$end - $start" | bc -l | cut -c1-6)"
echo "recovery_mb_per_s $(echo "$bytes / 1048576 / ($end - $start)" | bc -l | cut -c1-7)"
