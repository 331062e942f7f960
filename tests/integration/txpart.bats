#!/usr/bin/env bats
# txpart serve + its client verbs over loopback: direct reads and writes,
# durability across kill -9, the data-directory lock, the operator tables,
# resolve refusals, usage errors and a clean SIGTERM. In-doubt transactions
# resolved through a real coordinator are covered by the txcoord and fault
# suites.
load helpers
bats_require_minimum_version 1.5.0

txpart() { "$SHARDKIT_BIN/txpart" "$@"; }

setup() { common_setup; }
teardown() { common_teardown; }

# Starts `txpart serve` on data directory $1 (default d) and endpoint $2
# (default a free loopback port); sets EP to the endpoint it bound and PID.
start_serve() {
  local data=${1:-d} listen=${2:-'tcp://127.0.0.1:*'}
  shift 2 || shift $#
  "$SHARDKIT_BIN/txpart" serve --data "$data" --listen "$listen" --log-level info "$@" 2>>serve.log &
  PID=$!
  PIDS+=("$PID")
  wait_for_line serve.log "msg=serving.*data=$data "
  EP=$(grep -o 'listen=tcp://[0-9.:]*' serve.log | tail -n 1 | cut -d= -f2)
  [ -n "$EP" ]
}

# Waits (bounded) for process $1 to exit and sets RC to its exit status.
wait_exit() {
  for _ in $(seq 100); do kill -0 "$1" 2>/dev/null || break; sleep 0.05; done
  RC=0
  wait "$1" || RC=$?
}

@test "put, get, del and scan round trip, escaped bytes included" {
  start_serve
  run txpart put --connect "$EP" user:1 alice
  [ "$status" -eq 0 ]
  [[ "$output" =~ ^[0-9]+$ ]]
  txpart put --connect "$EP" 'user:2' 'hello\sworld\ttab\nnl\\bs\x00\x01' >/dev/null
  txpart put --connect "$EP" 'bin\x01key' '""' >/dev/null
  printf 'raw bytes\twith tab\n' | txpart put --connect "$EP" user:3 - >/dev/null

  run txpart get --connect "$EP" user:1 user:2
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf 'user:1\talice\nuser:2\thello\\sworld\\ttab\\nnl\\\\bs\\x00\\x01')" ]
  # The empty value, a binary key, and the raw stdin value.
  [ "$(txpart get --connect "$EP" 'bin\x01key')" = "$(printf 'bin\\x01key\t""')" ]
  [ "$(txpart get --connect "$EP" user:3 | cut -f2)" = 'raw\sbytes\twith\stab\n' ]
  # Keys from stdin; the output of scan feeds get.
  txpart scan --connect "$EP" --prefix user: >scan.tsv
  [ "$(wc -l <scan.tsv)" -eq 3 ]
  cut -f1 scan.tsv | txpart get --connect "$EP" >get.tsv
  cmp scan.tsv get.tsv
  run txpart get --connect "$EP" --json user:1
  [ "$output" = '{"key":"user:1","value":"alice"}' ]

  run txpart del --connect "$EP" user:1
  [ "$status" -eq 0 ]
  [[ "$output" =~ ^[0-9]+$'\t'true$ ]]
  run txpart del --connect "$EP" --json user:1
  [ "$status" -eq 0 ]
  [[ "$output" =~ ^\{\"lsn\":[0-9]+,\"existed\":false\}$ ]]
  # A missing key prints nothing and exits 1; found ones are still printed.
  run --separate-stderr txpart get --connect "$EP" user:1
  [ "$status" -eq 1 ]
  [ -z "$output" ]
  run --separate-stderr txpart get --connect "$EP" user:1 user:2
  [ "$status" -eq 1 ]
  [ "$(cut -f1 <<<"$output")" = user:2 ]
}

@test "scan pages through many keys, honours --limit and --prefix" {
  start_serve
  for i in $(seq 1 30); do txpart put --connect "$EP" "k:$(printf %03d "$i")" "v$i" >/dev/null; done
  txpart put --connect "$EP" other x >/dev/null
  run txpart scan --connect "$EP" --prefix k:
  [ "$status" -eq 0 ]
  [ "${#lines[@]}" -eq 30 ]
  [ "${lines[0]}" = "$(printf 'k:001\tv1')" ]
  [ "${lines[29]}" = "$(printf 'k:030\tv30')" ]
  [ "$(txpart scan --connect "$EP" --prefix k: --limit 7 | wc -l)" -eq 7 ]
  [ "$(txpart scan --connect "$EP" | wc -l)" -eq 31 ]
  run txpart scan --connect "$EP" --prefix nothing
  [ "$status" -eq 0 ]
  [ -z "$output" ]
}

@test "an acknowledged put survives kill -9 and a restart on the same directory" {
  start_serve
  for i in $(seq 1 20); do txpart put --connect "$EP" "key$i" "value$i" >/dev/null; done
  txpart del --connect "$EP" key7 >/dev/null
  kill -KILL "$PID"
  wait_exit "$PID"
  [ "$RC" -eq 137 ]
  local old=$EP
  start_serve d "$old"
  [ "$EP" = "$old" ]
  [ "$(txpart get --connect "$EP" key1 key20)" = "$(printf 'key1\tvalue1\nkey20\tvalue20')" ]
  run txpart get --connect "$EP" key7
  [ "$status" -eq 1 ]
  [ "$(txpart scan --connect "$EP" --prefix key | wc -l)" -eq 19 ]
}

@test "a second serve on the same --data exits 75" {
  start_serve
  run timeout 20 "$SHARDKIT_BIN/txpart" serve --data d --listen 'tcp://127.0.0.1:*'
  [ "$status" -eq 75 ]
  [[ "$output" == *"d is locked by another process"* ]]
  # The first one is unharmed.
  txpart put --connect "$EP" k v >/dev/null
}

@test "status: name/value rows in TSV and JSON" {
  start_serve
  txpart put --connect "$EP" a 1 >/dev/null
  txpart put --connect "$EP" b 2 >/dev/null
  run txpart status --connect "$EP"
  [ "$status" -eq 0 ]
  # Two fields on every line.
  [ -z "$(awk -F'\t' 'NF != 2' <<<"$output")" ]
  value() { awk -F'\t' -v n="$1" '$1 == n { print $2 }' <<<"$output"; }
  [ "$(value keys)" = 2 ]
  [ "$(value direct_writes_total)" = 2 ]
  [ "$(value locks)" = 0 ]
  [ "$(value in_doubt)" = 0 ]
  [ "$(value self)" = "$EP" ]
  [ "$(value durable_lsn)" -ge 2 ]
  [ "$(value wal_fsyncs_total)" -ge 1 ]
  for name in uptime_s commits_per_s writes_per_s fsyncs_per_s heuristic_outcomes committed_total; do
    [ -n "$(value "$name")" ] || { echo "no $name"; return 1; }
  done
  run txpart status --connect "$EP" --json
  [ "$status" -eq 0 ]
  grep -qx '{"name":"keys","value":"2"}' <<<"$output"
  [ -z "$(grep -v '^{"name":"[a-z_0-9]*","value":"[^"]*"}$' <<<"$output")" ]
  # No locks and no heuristic outcomes: empty tables.
  run txpart status --connect "$EP" --locks
  [ "$status" -eq 0 ]
  [ -z "$output" ]
  run txpart status --connect "$EP" --heuristics --json
  [ "$status" -eq 0 ]
  [ -z "$output" ]
}

@test "prepared: empty without transactions; resolve of an unknown txid exits 1" {
  start_serve
  run --separate-stderr txpart prepared --connect "$EP"
  [ "$status" -eq 0 ]
  [ -z "$output" ]
  run --separate-stderr txpart prepared --connect "$EP" --json
  [ "$status" -eq 0 ]
  [ -z "$output" ]
  run --separate-stderr txpart resolve --connect "$EP" no-such-tx --commit
  [ "$status" -eq 1 ]
  [ -z "$output" ]
  [[ "$stderr" == *"no-such-tx"*"not in doubt"* ]]
  run --separate-stderr txpart resolve --connect "$EP" no-such-tx --abort
  [ "$status" -eq 1 ]
  # Nothing was forced.
  [ "$(txpart status --connect "$EP" | awk -F'\t' '$1 == "heuristic_total" { print $2 }')" = 0 ]
}

@test "bench reports throughput, latency and fsyncs" {
  start_serve
  run --separate-stderr txpart bench --connect "$EP" --clients 4 --duration 0.5 --keys 10
  [ "$status" -eq 0 ]
  [ "$(awk -F'\t' '{ print NF }' <<<"$output")" = 12 ]
  [ "$(cut -f1 <<<"$output")" = 4 ]
  [ "$(cut -f3 <<<"$output")" -gt 0 ]
  [ "$(cut -f4 <<<"$output")" = 0 ]
  [ "$(cut -f10 <<<"$output")" -gt 0 ]
  run --separate-stderr txpart bench --connect "$EP" --clients 2 --duration 0.2 --json
  [[ "$output" == '{"clients":2,'*'"puts_per_fsync":'*'}' ]]
  [ "$(txpart scan --connect "$EP" --prefix bench: | wc -l)" -ge 1 ]
}

@test "bad flags and arguments exit 64 with a hint" {
  run txpart serve --listen 'tcp://127.0.0.1:*'
  [ "$status" -eq 64 ]
  [[ "$output" == *"--data is required"* ]]
  [[ "$output" == *"Try 'txpart serve --help'."* ]]
  run txpart serve --data d
  [ "$status" -eq 64 ]
  run txpart serve --data d --listen 'tcp://127.0.0.1:*' --inquire-initial 5000 --inquire-max 10
  [ "$status" -eq 64 ]
  run txpart get k1
  [ "$status" -eq 64 ]
  [[ "$output" == *"--connect is required"* ]]
  run txpart put --connect tcp://127.0.0.1:1 onlykey
  [ "$status" -eq 64 ]
  run txpart resolve --connect tcp://127.0.0.1:1 tx1
  [ "$status" -eq 64 ]
  run txpart resolve --connect tcp://127.0.0.1:1 tx1 --commit --abort
  [ "$status" -eq 64 ]
  run txpart status --connect tcp://127.0.0.1:1 --locks --heuristics
  [ "$status" -eq 64 ]
  run txpart scan --connect tcp://127.0.0.1:1 --limit -3
  [ "$status" -eq 64 ]
  run txpart bench --connect tcp://127.0.0.1:1 --clients 0
  [ "$status" -eq 64 ]
  run txpart get --connect tcp://127.0.0.1:1 --timeout 0 k
  [ "$status" -eq 64 ]
  run txpart nosuchverb
  [ "$status" -eq 64 ]
  run txpart get --no-such-flag
  [ "$status" -eq 64 ]
  # Nothing was started, and no data directory was made.
  [ ! -e d ]
}

@test "bad keys are bad data (65); no server is unavailable (69)" {
  run txpart get --connect tcp://127.0.0.1:1 'bad\qescape'
  [ "$status" -eq 65 ]
  [[ "$output" == *"argument 1"* ]]
  run txpart put --connect tcp://127.0.0.1:1 '""' v
  [ "$status" -eq 65 ]
  [[ "$output" == *"empty key"* ]]
  run timeout 20 "$SHARDKIT_BIN/txpart" get --connect tcp://127.0.0.1:1 --timeout 300 k
  [ "$status" -eq 69 ]
  [[ "$output" == *"cannot reach tcp://127.0.0.1:1"* ]]
  run timeout 20 "$SHARDKIT_BIN/txpart" status --connect tcp://127.0.0.1:1 --timeout 300
  [ "$status" -eq 69 ]
  start_serve
  printf 'good\nbad\\z\n' >keys
  run --separate-stderr txpart get --connect "$EP" - <keys
  [ "$status" -eq 65 ]
  [[ "$stderr" == *"line 2"* ]]
}

@test "SIGTERM stops serve with exit 0 and nothing acknowledged is lost" {
  start_serve
  txpart put --connect "$EP" last-word yes >/dev/null
  kill -TERM "$PID"
  wait_exit "$PID"
  [ "$RC" -eq 0 ]
  start_serve d "$EP"
  [ "$(txpart get --connect "$EP" last-word)" = "$(printf 'last-word\tyes')" ]
}

@test "SIGTERM during a slow snapshot abandons it and exits at once; nothing is lost" {
  # Each record the compaction reads takes 100 ms: the first snapshot (at
  # about 4 KiB of log) would take several seconds.
  SHARDKIT_FAILPOINTS='daemon.before-compact-record=sleep(100)' start_serve d 'tcp://127.0.0.1:*' \
    --snapshot-bytes 4096
  for i in $(seq 1 200); do txpart put --connect "$EP" "k$i" "v$i" >/dev/null; done
  kill -TERM "$PID"
  for _ in $(seq 60); do kill -0 "$PID" 2>/dev/null || break; sleep 0.05; done
  run kill -0 "$PID" # gone within 3 s
  [ "$status" -ne 0 ]
  wait_exit "$PID"
  [ "$RC" -eq 0 ]
  grep -q 'msg="snapshot abandoned"' serve.log
  [ -z "$(ls d/snap)" ] # neither a snapshot nor its temporary file
  start_serve d "$EP"
  [ "$(txpart scan --connect "$EP" --prefix k | wc -l)" -eq 200 ]
}

@test "failpoints lists the participant's failpoints" {
  run txpart failpoints
  [ "$status" -eq 0 ]
  grep -qx 'txpart.after-prepare-force' <<<"$output"
  [ -z "$(grep -v '^txpart\.\(before\|after\)-[a-z-]*$' <<<"$output")" ]
  [ "$(sort <<<"$output")" = "$output" ]
}

@test "snapshots: taken in the background while serving; a restart reads snapshot plus log tail" {
  start_serve d 'tcp://127.0.0.1:*' --snapshot-bytes 4096
  for i in $(seq 1 200); do echo "k$i v$i"; done >kv
  while read -r k v; do txpart put --connect "$EP" "$k" "$v" >/dev/null; done <kv
  wait_for_line serve.log 'msg="snapshot written"'
  ls d/snap/*.snap >/dev/null
  kill -9 "$PID"
  wait_exit "$PID"
  start_serve d "$EP"
  # The restart replayed the snapshot and only the records after it.
  recovered=$(grep 'msg=serving' serve.log | tail -n 1 | grep -o 'recovered_records=[0-9]*' | cut -d= -f2)
  [ "$recovered" -lt 200 ]
  run txpart get --connect "$EP" k1 k100 k200
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf 'k1\tv1\nk100\tv100\nk200\tv200')" ]
  [ "$(txpart scan --connect "$EP" --prefix k | wc -l)" -eq 200 ]
}
