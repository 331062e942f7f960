#!/usr/bin/env bash
# End-to-end replication benchmarks (the issue's targets), each next to the
# baselines measured in the same run (raw append+fdatasync rate, loopback
# round trip):
#   - txpart bench, single-shard durable puts with 1 replica, at ack level
#     local, received:1, flushed:1 and applied:1: 64 clients (throughput
#     ratio to local) and 1 client (added p50 latency); then the same per
#     write with replicad bench on one group;
#   - txcoord bench with 3 shards and a coordinator, unreplicated and with
#     each of them a group of 2 at flushed:1;
#   - catch-up: a replica CATCHUP_MB behind catches up from retained segments;
#   - full resync: a replica that lost everything gets a STORE_MB store;
#   - automatic failover: kill -9 of the primary of a 3-member group with
#     default settings, to the first write the group accepts (3 runs).
# Prints figures; never pass/fail on time. REPL_BENCH_SECTIONS picks some of
# "puts coord catchup resync failover" (default: all, in that order).
# Usage: repl_bench.sh BINDIR BASELINE_BIN [DURATION_S] [CATCHUP_MB] [STORE_MB]
set -euo pipefail
usage="usage: repl_bench.sh BINDIR BASELINE_BIN [DURATION_S] [CATCHUP_MB] [STORE_MB]"
bin=$(cd "${1:?$usage}" && pwd)
baseline=${2:?$usage}
duration=${3:-10}
catchup_mb=${4:-1024}
store_mb=${5:-1024}
here=$(cd "$(dirname "$0")/../.." && pwd)
export SHARDKIT_BIN=$bin SHARDKIT_LOG=warn
CLUSTER_DIR=$(mktemp -d "${TMPDIR:-/var/tmp}/repl_bench.XXXXXX")
# shellcheck source=../../share/scripts/cluster.bash
source "$here/share/scripts/cluster.bash"
# shellcheck source=../../share/scripts/group.bash
source "$here/share/scripts/group.bash"
trap cluster_cleanup EXIT
trap 'exit 130' INT TERM

txpart() { "$bin/txpart" "$@"; }
replicad() { "$bin/replicad" "$@"; }
now_ms() { date +%s%3N; }
field() { awk -F'\t' -v k="$1" '$1 == k { print $2 }'; }

# The column named $2 of member $1's own status row (or of replica $3's row).
col() {
  replicad status --connect "${MEMBER_REP[$1]}" --json |
    grep "\"name\":\"${3:-$1}\"" | grep -o "\"$2\":\"[^\"]*\"" | cut -d'"' -f4
}

echo "== baseline (data directory's file system)"
"$baseline" "$CLUSTER_DIR" 2

bench_puts() {
  for ack in local received:1 flushed:1 applied:1; do
    g=b${ack%%:*}
    group_create "$g" 2 --ack "$ack"
    group_start "$g"
    echo "== txpart bench at ack $ack, 1 replica, 64 clients, ${duration}s"
    txpart bench --connect "${MEMBER_PEP[$g.0]}" --clients 64 --duration "$duration" | grep -v '^hist'
    echo "== txpart bench at ack $ack, 1 replica, 1 client, ${duration}s"
    txpart bench --connect "${MEMBER_PEP[$g.0]}" --clients 1 --duration "$duration" | grep -v '^hist'
    group_stop "$g"
  done

  echo "== replicad bench: every ack level per write, one group at --ack local, ${duration}s each"
  group_create pw 2 --ack local
  group_start pw
  replicad bench --connect "${MEMBER_PEP[pw.0]}" --clients 64 --duration "$duration"
  replicad bench --connect "${MEMBER_PEP[pw.0]}" --clients 1 --duration "$duration"
  group_stop pw

  echo "== the same on an emulated slow disk: every fdatasync of both writers takes 2 ms more"
  echo "   (failpoint wal.before-fsync=sleep(2)): fsync-bound, as a real disk without a cache"
  group_create ps 2 --ack local
  SHARDKIT_FAILPOINTS='wal.before-fsync=sleep(2)' group_start ps
  replicad bench --connect "${MEMBER_PEP[ps.0]}" --clients 64 --duration "$duration"
  group_stop ps
}

# txcoord bench: 3 shards, 2 puts on 2 shards, as in txn_bench.sh.
coord_bench() {
  "$bin/txcoord" bench --connect "$1" --ring "$CLUSTER_RING" --shards 2 --ops-per-tx 2 \
    --keys 100000 --clients 64 --duration "$duration" | grep -v '^hist'
}

bench_coord() {
  echo "== txcoord bench, 64 clients, ${duration}s: 3 shards and a coordinator, unreplicated"
  cluster_start 3 >/dev/null
  coord_bench "$COORD_EP"
  cluster_stop >/dev/null
  echo "== the same with each shard and the coordinator a group of 2 at flushed:1"
  CLUSTER_RING=$CLUSTER_DIR/groups.ring
  "$bin/ringctl" new -o "$CLUSTER_RING"
  for g in t0 t1 t2; do
    group_create "$g" 2
    group_start "$g"
    "$bin/ringctl" add "$CLUSTER_RING" "$g" "$(group_endpoints "$g")"
  done
  GROUP_WRITER=txcoord group_create tc 2
  for m in tc.0 tc.1; do MEMBER_WARGS[$m]="--advertise $(group_endpoints tc)"; done
  group_start tc
  coord_bench "${MEMBER_PEP[tc.0]}"
  for g in t0 t1 t2 tc; do group_stop "$g"; done
}

# Writes 4 KiB puts to member $1, over $2 MB worth of keys, until its log
# holds at least $2 MB (bounded: 600 rounds of 2 s).
fill() {
  local m=$1 mb=$2 i
  for ((i = 0; i < 600; i++)); do
    (($(du -sb "$CLUSTER_DIR/$m/wal" | cut -f1) >= mb << 20)) && return 0
    txpart bench --connect "${MEMBER_PEP[$m]}" --clients 64 --duration 2 --keys $((mb * 256)) \
      --value-size 4096 >/dev/null
  done
}

# Writes 4 KiB puts to member $1, each key once, until its store holds at
# least $2 MB (bounded as fill).
fill_store() {
  local m=$1 mb=$2 i bytes
  for ((i = 0; i < 600; i++)); do
    bytes=$(txpart status --connect "${MEMBER_PEP[$m]}" | field store_bytes)
    ((bytes >= mb << 20)) && return 0
    txpart bench --connect "${MEMBER_PEP[$m]}" --clients 64 --duration 2 --keys $((mb * 512)) \
      --value-size 4096 >/dev/null
  done
}

bench_catchup() {
  echo "== catch-up: a replica ${catchup_mb} MB behind, from retained segments"
  group_create c 2 --ack local --retain-bytes $(((catchup_mb + 512) << 20))
  group_start c
  member_stop c.1
  fill c.0 "$catchup_mb"
  target=$(col c.0 flushed_lsn)
  wal_bytes=$(du -sb "$CLUSTER_DIR/c.0/wal" | cut -f1)
  start=$(now_ms)
  member_start c.1
  until [ "$(col c.1 flushed_lsn)" -ge "$target" ] 2>/dev/null; do sleep 0.05; done
  ms=$(($(now_ms) - start))
  echo "caught up lsn $target ($((wal_bytes >> 20)) MB of log) in $ms ms:" \
    "$(echo "scale=1; $wal_bytes / 1048576 * 1000 / $ms" | bc) MB/s"
  group_stop c
}

# A replica that lost its data gets a full resync of a $store_mb MB store
# from group $1, created with replicad flags $2 and writer flags $3.
resync_run() {
  local g=$1 target start ms snap_bytes i
  GROUP_WRITER_ARGS=$3
  # shellcheck disable=SC2086 # $2: flags, split on purpose
  group_create "$g" 2 --ack local $2
  GROUP_WRITER_ARGS=""
  group_start "$g"
  member_stop "$g.1"
  fill_store "$g.0" "$store_mb"
  # Wait for the snapshot that covers the fill.
  for ((i = 0; i < 600; i++)); do
    ls "$CLUSTER_DIR/$g.0/snap/" 2>/dev/null | grep -q '\.snap$' && break
    sleep 0.1
  done
  target=$(col "$g.0" flushed_lsn)
  rm -rf "${CLUSTER_DIR:?}/$g.1"
  start=$(now_ms)
  member_start "$g.1"
  until [ "$(col "$g.1" flushed_lsn)" -ge "$target" ] 2>/dev/null; do sleep 0.05; done
  ms=$(($(now_ms) - start))
  snap_bytes=$(du -sb "$CLUSTER_DIR/$g.1/snap" | cut -f1)
  echo "resynced to lsn $target (store $(($(txpart status --connect "${MEMBER_PEP[$g.1]}" |
    field store_bytes) >> 20)) MB, snapshot file $((snap_bytes >> 20)) MB) in $ms ms"
  echo "full resyncs started: $(grep -c 'msg="full resync" ' "$CLUSTER_DIR/$g.0.replicad.log")," \
    "snapshots installed: $(grep -c 'msg="resync snapshot installed"' "$CLUSTER_DIR/$g.1.replicad.log")"
  group_stop "$g" || true # a member slow to stop was killed: the figures stand
}

bench_resync() {
  echo "== full resync: a replica that lost its data gets a ${store_mb} MB store, default retention"
  echo "   (--retain-bytes 1 GiB, a snapshot every 256 MiB of log)"
  resync_run r "" ""
  echo "== the same with a retention cap below the snapshot interval (32 MiB cap, 64 MiB"
  echo "   snapshots): the resync waits for a fresh snapshot the capped log continues from"
  resync_run rs "--retain-bytes 33554432" "--segment-bytes 16777216 --snapshot-bytes 67108864"
}

bench_failover() {
  echo "== automatic failover: kill -9 of the primary, 3 members, default timeouts"
  group_create f 3 --auto-failover
  group_start f
  for run in 1 2 3; do
    victim=$(group_wait_primary f)
    txpart put --connect "$(group_endpoints f)" warm 1 >/dev/null
    start=$(now_ms)
    member_stop "$victim" KILL 2>/dev/null
    n=0
    until txpart put --connect "$(group_endpoints f)" --timeout 300 --retries 0 "probe$run" "$n" \
      >/dev/null 2>&1; do
      n=$((n + 1))
    done
    echo "run $run: first write accepted $(($(now_ms) - start)) ms after kill -9 of $victim"
    member_start "$victim"
    sleep 1
  done
  group_stop f
}

for section in ${REPL_BENCH_SECTIONS:-puts coord catchup resync failover}; do
  "bench_$section"
done
