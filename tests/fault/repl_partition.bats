#!/usr/bin/env bats
# Network partitions between the members of a replication group. Each
# member runs in a network namespace this test creates, joined to the
# others through a bridge in a hub namespace over veth pairs; a partition
# is iptables DROP rules inside a member's namespace. Everything is removed
# in teardown. Needs root (CI runs as root); elsewhere the tests are skipped.
load ../integration/helpers
load ../../share/scripts/cluster
load ../../share/scripts/group

txpart() { "$SHARDKIT_BIN/txpart" "$@"; }

NET=10.213.0

setup() {
  common_setup
  CLUSTER_DIR=$TMP
  NAMESPACES=()
  [ "$(id -u)" -eq 0 ] || skip "network namespaces need root"
  command -v iptables >/dev/null || skip "iptables is not installed"
  local tag=sk$$ i ns
  HUB=${tag}h
  ip netns add "$HUB"
  NAMESPACES+=("$HUB")
  ip -n "$HUB" link add br0 type bridge
  ip -n "$HUB" link set br0 up
  GROUP_NETNS=() GROUP_IPS=()
  for i in 0 1 2; do
    ns=${tag}m$i
    ip netns add "$ns"
    NAMESPACES+=("$ns")
    ip link add "${tag}v$i" type veth peer name "${tag}p$i"
    ip link set "${tag}v$i" netns "$ns"
    ip link set "${tag}p$i" netns "$HUB"
    ip -n "$ns" link set "${tag}v$i" name eth0
    ip -n "$ns" addr add "$NET.$((i + 2))/24" dev eth0
    ip -n "$ns" link set eth0 up
    ip -n "$ns" link set lo up
    ip -n "$HUB" link set "${tag}p$i" master br0
    ip -n "$HUB" link set "${tag}p$i" up
    GROUP_NETNS+=("$ns")
    GROUP_IPS+=("$NET.$((i + 2))")
  done
}

teardown() {
  for pid in "${PIDS[@]}"; do kill -CONT "$pid" 2>/dev/null || true; done
  common_teardown
  for ns in "${NAMESPACES[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
}

# drop_in M [DIRECTION]: member M's namespace drops all traffic on its link
# (both ways, or only "out" or only "in").
drop_in() {
  local ns=${MEMBER_NS[$1]} dir=${2:-both}
  [[ $dir == out ]] || ip netns exec "$ns" iptables -A INPUT -i eth0 -j DROP
  [[ $dir == in ]] || ip netns exec "$ns" iptables -A OUTPUT -o eth0 -j DROP
}
heal() { ip netns exec "${MEMBER_NS[$1]}" iptables -F; }

mput() { member_run "$1" "$SHARDKIT_BIN/txpart" put --connect "${MEMBER_PEP[$1]}" "${@:2}"; }
mget() { member_run "$1" "$SHARDKIT_BIN/txpart" get --connect "${MEMBER_PEP[$1]}" "${@:2}"; }

@test "an isolated primary stops taking writes; the majority elects; healing rejoins it" {
  group_create g 3 --auto-failover --heartbeat 50 --lease 500 --election-timeout 300
  group_start g
  old=$(group_primary g)
  epoch=$(member_epoch "$old")
  for i in $(seq 1 10); do mput "$old" "k$i" "v$i" >/dev/null; done
  drop_in "$old"
  new=$(group_wait_primary g "$old")
  [ "$(member_epoch "$new")" -gt "$epoch" ]
  member_wait_value "$new" k10 v10
  run mput "$new" --timeout 5000 fresh 1
  [ "$status" -eq 0 ]
  # Cut off from its replicas, the old primary's lease runs out: writes
  # there are refused or never confirmed, never acknowledged.
  for i in 1 2 3; do
    run mput "$old" --timeout 2000 --retries 0 stale "$i"
    [ "$status" -eq 75 ]
  done
  heal "$old"
  member_wait_role "$old" replica
  [ "$(member_epoch "$old")" = "$(member_epoch "$new")" ]
  member_wait_value "$old" fresh 1
  for m in g.0 g.1 g.2; do
    run mget "$m" stale
    [ "$status" -eq 1 ]
  done
}

@test "a primary whose outgoing traffic is dropped is replaced, then steps down on healing" {
  group_create g 3 --auto-failover --heartbeat 50 --lease 500 --election-timeout 300
  group_start g
  old=$(group_primary g)
  mput "$old" before 1 >/dev/null
  # Nothing the old primary sends arrives. (Over TCP this soon stops the
  # other direction too: its acknowledgements are lost, so connections
  # stall and new ones cannot be set up.)
  drop_in "$old" out
  new=$(group_wait_primary g "$old")
  run mput "$old" --timeout 2000 --retries 0 stale 1
  [ "$status" -eq 75 ]
  run mput "$new" --timeout 5000 after 1
  [ "$status" -eq 0 ]
  heal "$old"
  # It learns of the newer epoch, steps down and catches up.
  member_wait_role "$old" replica
  [ "$(member_epoch "$old")" = "$(member_epoch "$new")" ]
  member_wait_value "$old" after 1
  member_wait_value "$old" before 1
  run mget "$new" stale
  [ "$status" -eq 1 ]
}
