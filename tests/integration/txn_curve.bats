#!/usr/bin/env bats
# CURVE for the transaction daemons: a whole cluster (participants,
# coordinator, operator clients) authenticated with keypairs; unknown client
# keys are refused; and no daemon listens off loopback in plaintext unless
# told --insecure.
load helpers

setup() {
  common_setup
  for name in part coord client stranger; do ringctl keygen "$name"; done
  # Participants admit the coordinator (PREPARE, COMMIT), each other
  # (cooperative termination) and the operator; the coordinator admits the
  # participants (INQUIRE) and the operator.
  mkdir allow
  cp part.key coord.key client.key allow/
}
teardown() { common_teardown; }

# Starts a daemon ($1: txpart|txcoord, then its serve flags) logging to $LOG
# and sets EP to the endpoint it bound.
start() {
  local tool=$1
  shift
  LOG=$tool.$RANDOM.log
  "$SHARDKIT_BIN/$tool" serve --log-level info "$@" 2>"$LOG" &
  PIDS+=($!)
  wait_for_line "$LOG" 'msg=serving'
  EP=$(grep -o 'listen=tcp://[0-9.:]*' "$LOG" | tail -n 1 | cut -d= -f2)
}

@test "a CURVE cluster commits for a known client and refuses an unknown one" {
  start txpart --data p0 --listen 'tcp://127.0.0.1:*' --curve-secret part.secret --allow allow \
    --peer-key coord.key
  P0=$EP
  start txpart --data p1 --listen 'tcp://127.0.0.1:*' --curve-secret part.secret --allow allow \
    --peer-key coord.key
  P1=$EP
  ringctl new -o c.ring
  ringctl add c.ring s0 "$P0" --curve-key part.key
  ringctl add c.ring s1 "$P1" --curve-key part.key
  start txcoord --data coord --ring c.ring --listen 'tcp://127.0.0.1:*' \
    --curve-secret coord.secret --allow allow
  C=$EP
  # Enough keys to land on both shards: a two-phase commit over CURVE.
  script=$(for i in $(seq 1 20); do echo "put k$i v$i"; done)
  run "$SHARDKIT_BIN/txcoord" submit --connect "$C" --server-key coord.key \
    --curve-secret client.secret <<<"$script"
  [ "$status" -eq 0 ]
  [[ "$output" == *$'\tcommitted\t'* ]]
  [ "$("$SHARDKIT_BIN/txpart" get --connect "$P0" --server-key part.key \
        --curve-secret client.secret - < <(seq -f 'k%g' 1 20) | wc -l)" -gt 0 ]
  [ "$("$SHARDKIT_BIN/txpart" get --connect "$P1" --server-key part.key \
        --curve-secret client.secret - < <(seq -f 'k%g' 1 20) | wc -l)" -gt 0 ]
  # A key the allow list does not hold never gets an answer.
  run "$SHARDKIT_BIN/txcoord" submit --connect "$C" --server-key coord.key \
    --curve-secret stranger.secret --timeout 500 --retries 0 <<<'put x 1'
  [ "$status" -ne 0 ]
  [ "$status" -ne 1 ]
  wait_for_line "$LOG" 'msg="client refused"'
  run "$SHARDKIT_BIN/txpart" get --connect "$P0" --timeout 500 --retries 0 k1  # plaintext
  [ "$status" -ne 0 ]
  [ "$status" -ne 1 ]
}

@test "no daemon listens off loopback in plaintext without --insecure" {
  run "$SHARDKIT_BIN/txpart" serve --data p --listen 'tcp://0.0.0.0:*'
  [ "$status" -eq 78 ]
  [[ "$output" == *"--insecure"* || "$output" == *"CURVE"* ]]
  ringctl new -o c.ring
  ringctl add c.ring s0 tcp://127.0.0.1:1
  run "$SHARDKIT_BIN/txcoord" serve --data c --ring c.ring --listen 'tcp://0.0.0.0:*'
  [ "$status" -eq 78 ]
  # With --insecure it is the user's choice, and it serves.
  "$SHARDKIT_BIN/txpart" serve --data p --listen 'tcp://0.0.0.0:*' --insecure --log-level info \
    2>ins.log &
  PIDS+=($!)
  wait_for_line ins.log 'msg=serving'
}
