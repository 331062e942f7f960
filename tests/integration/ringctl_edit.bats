#!/usr/bin/env bats
# ringctl new/add/remove/set/import/show: atomic edits and their refusals.
load helpers

setup() { common_setup; }
teardown() { common_teardown; }

@test "new writes a parseable empty ring; add builds it up" {
  make_ring c.ring
  run ringctl show c.ring
  [ "$status" -eq 0 ]
  [ "$(grep -c '^node' <<<"$output")" -eq 4 ]
  grep -q $'^node\tc\t2.000\tr2\t320\t' <<<"$output"
  grep -q $'^summary\tring\t4\t800\t' <<<"$output"
}

@test "new refuses to replace a file without --force, and validates flags" {
  ringctl new -o c.ring
  run ringctl new -o c.ring
  [ "$status" -eq 64 ]
  [[ "$output" == *"exists; pass --force"* ]]
  ringctl new -o c.ring --force --algorithm maglev --table-size 13
  grep -q '^algorithm maglev hash=xxh3 table-size=13$' c.ring
  run ringctl new --algorithm ketma
  [ "$status" -eq 64 ]
  [[ "$output" == *"unknown algorithm 'ketma'"* ]]
  run ringctl new --table-size 12 --algorithm maglev
  [ "$status" -eq 64 ]
  [[ "$output" == *"not a prime"* ]]
}

@test "add refuses duplicates, bad weights and malformed endpoints; the file is untouched" {
  make_ring c.ring
  cp c.ring before
  run ringctl add c.ring a tcp://127.0.0.1:9
  [ "$status" -eq 65 ]
  [[ "$output" == "ringctl: c.ring: node 'a' already exists" ]]
  run ringctl add c.ring e tcp://127.0.0.1:9 --weight 0
  [ "$status" -eq 64 ]
  [[ "$output" == *"--weight must be a number greater than 0, got '0'"* ]]
  run ringctl add c.ring e http://x:1
  [ "$status" -eq 64 ]
  [[ "$output" == *"malformed endpoint 'http://x:1'"* ]]
  run ringctl add c.ring 'bad=name'
  [ "$status" -eq 64 ]
  cmp c.ring before
  # no temp files are left behind
  [ "$(ls | wc -l)" -eq 2 ]
}

@test "add refuses a weight that would give a ketama node zero points" {
  printf '10.0.0.1:11211 1000000\n10.0.0.2:11211 1000000\n' | ringctl import -o k.ring -
  cp k.ring before
  run ringctl add k.ring 10.0.0.3:11211 --weight 1
  [ "$status" -eq 65 ]
  [[ "$output" == *"node '10.0.0.3:11211' would get no points under ketama"* ]]
  cmp k.ring before
}

@test "show warns about a node with zero points (imported ketama list)" {
  printf '10.0.0.1:11211 1000000\n10.0.0.2:11211 1\n' | ringctl import -o k.ring -
  run ringctl show k.ring
  [ "$status" -eq 0 ]
  [[ "$output" == *"level=warn"*"node owns no part of the key space"*"node=10.0.0.2:11211"* ]]
}

@test "remove and set edit nodes; unknown nodes are refused" {
  make_ring c.ring
  ringctl remove c.ring b
  ! grep -q '^node b ' c.ring
  run ringctl remove c.ring zz
  [ "$status" -eq 65 ]
  [[ "$output" == *"no node 'zz'"* ]]
  ringctl set c.ring a --endpoint tcp://127.0.0.1:8001 --endpoint tcp://127.0.0.1:8002 --weight 3
  grep -q '^node a endpoint=tcp://127.0.0.1:8001,tcp://127.0.0.1:8002 weight=3 zone=r1$' c.ring
  ringctl set c.ring a --zone ''
  grep -q '^node a endpoint=tcp://127.0.0.1:8001,tcp://127.0.0.1:8002 weight=3$' c.ring
}

@test "changing endpoints moves no keys; changing weight does" {
  make_ring c.ring
  cp c.ring d.ring
  ringctl set d.ring a --endpoint tcp://10.9.9.9:1
  run ringctl diff c.ring d.ring
  [[ "${lines[0]}" == $'summary\t0.000000\t0.000000\texact\t'* ]]
  ringctl set d.ring a --weight 2
  run ringctl diff c.ring d.ring
  [[ "${lines[0]}" != $'summary\t0.000000\t'* ]]
}

@test "import reads a libketama server list and reports bad lines with file:line" {
  ringctl import "$SHARDKIT_SOURCE/share/examples/ketama.servers" >k.ring
  grep -q '^algorithm ketama$' k.ring
  grep -q '^node 10.0.1.5:11211 endpoint=tcp://10.0.1.5:11211 weight=1000$' k.ring
  printf '10.0.0.1:11211 100\n10.0.0.2:11211 lots\n' >bad.servers
  run ringctl import bad.servers
  [ "$status" -eq 65 ]
  [[ "$output" == "ringctl: bad.servers:2: weight must be a whole number from 1 to 1000000, got 'lots'" ]]
}

@test "a malformed ring file is exit 65 with file:line, a missing one 66" {
  printf 'shardkit-ring 1\nalgorithm ketma\n' >bad.ring
  run ringctl show bad.ring
  [ "$status" -eq 65 ]
  [[ "$output" == "ringctl: bad.ring:2: unknown algorithm 'ketma'"* ]]
  run ringctl locate missing.ring k
  [ "$status" -eq 66 ]
}

@test "usage errors are exit 64 with a hint; --help is exit 0 on stdout" {
  run ringctl frobnicate
  [ "$status" -eq 64 ]
  [[ "$output" == *"unknown verb 'frobnicate'"*"Try 'ringctl --help'."* ]]
  run ringctl locate --no-such-flag x
  [ "$status" -eq 64 ]
  [[ "$output" == *"Try 'ringctl locate --help'."* ]]
  run ringctl locate
  [ "$status" -eq 64 ]
  run ringctl locate --help
  [ "$status" -eq 0 ]
  [[ "$output" == *"--replicas"* ]]
  run ringctl --version
  [ "$status" -eq 0 ]
  [[ "$output" == "ringctl "* ]]
}
