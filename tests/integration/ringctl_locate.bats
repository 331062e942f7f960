#!/usr/bin/env bats
# ringctl locate/stats/diff as pipeline stages.
load helpers

setup() { common_setup; make_ring c.ring; }
teardown() { common_teardown; }

@test "locate from arguments and from stdin agree, one line per key" {
  run ringctl locate c.ring user:1 user:2 user:3
  [ "$status" -eq 0 ]
  args_out=$output
  [ "${#lines[@]}" -eq 3 ]
  [[ "${lines[0]}" =~ ^user:1$'\t'[abcd]$'\t'tcp://127.0.0.1:710[1-4]$ ]]
  run bash -c "printf 'user:1\nuser:2\nuser:3\n' | '$SHARDKIT_BIN/ringctl' locate c.ring -"
  [ "$output" == "$args_out" ]
  run bash -c "printf 'user:1\nuser:2\nuser:3' | '$SHARDKIT_BIN/ringctl' locate c.ring"
  [ "$output" == "$args_out" ]
}

@test "locate streams a large input in a pipeline" {
  seq -f 'key:%g' 1 200000 | ringctl locate c.ring - | cut -f2 | sort | uniq -c >counts
  [ "$(wc -l <counts)" -eq 4 ]
  [ "$(awk '{s+=$1} END {print s}' counts)" -eq 200000 ]
}

@test "locate --replicas gives distinct nodes, distinct zones first" {
  seq -f 'k%g' 1 500 | ringctl locate c.ring --replicas 3 - >out
  [ "$(wc -l <out)" -eq 500 ]
  # node -> zone: a,b in r1; c in r2; d in r3. Three replicas must span all three zones.
  awk -F'\t' '{
    z["a"]="r1"; z["b"]="r1"; z["c"]="r2"; z["d"]="r3";
    if (NF != 7 || $2 == $4 || $2 == $6 || $4 == $6) bad++;
    if (z[$2] == z[$4] || z[$2] == z[$6] || z[$4] == z[$6]) bad++;
  } END { exit bad > 0 }' out
}

@test "locate --json prints one object per key" {
  run ringctl locate c.ring --json 'a"b' k2
  [ "${#lines[@]}" -eq 2 ]
  [[ "${lines[0]}" =~ ^\{\"key\":\"a\\\"b\",\"node\":\"[abcd]\",\"endpoint\":\"tcp://127.0.0.1:710[1-4]\"\}$ ]]
}

@test "locate --load-factor caps every node at ceil(c * n * weight / total)" {
  ringctl new -o eq.ring
  for n in a b c d e; do ringctl add eq.ring $n; done
  seq -f 'k%g' 1 10000 >keys
  # Without the cap the busiest node gets more than the mean of 2000 keys,
  # so the capped run below is a real test.
  ringctl locate eq.ring - <keys | cut -f2 | sort | uniq -c >free
  awk '$1 > 2000 { over++ } END { exit over == 0 }' free
  ringctl locate eq.ring --load-factor 1 - <keys | cut -f2 | sort | uniq -c >capped
  awk '$1 > 2000 { bad++ } END { exit bad > 0 }' capped
  [ "$(awk '{ s += $1 } END { print s }' capped)" -eq 10000 ]
  # Weighted: c has weight 3 of 7, so its cap is ceil(1.05 * 10000 * 3 / 7) = 4500.
  ringctl set eq.ring c --weight 3
  ringctl locate eq.ring --load-factor 1.05 --batch 10000 - <keys | cut -f2 | sort | uniq -c >weighted
  awk '$2 == "c" && $1 > 4500 { bad++ } $2 != "c" && $1 > 1500 { bad++ } END { exit bad > 0 }' weighted
  run ringctl locate eq.ring --load-factor 0.5 -
  [ "$status" -eq 64 ]
}

@test "the ring and the keys cannot both come from stdin" {
  run ringctl locate - -
  [ "$status" -eq 64 ]
  run ringctl diff - c.ring -
  [ "$status" -eq 64 ]
  run ringctl stats -
  [ "$status" -eq 64 ]
  run ringctl add - x
  [ "$status" -eq 64 ]
}

@test "stats counts every key and reports balance" {
  run ringctl stats c.ring --keys 100000
  [ "$status" -eq 0 ]
  total=$(grep '^node' <<<"$output" | awk -F'\t' '{s+=$3} END {print s}')
  [ "$total" -eq 100000 ]
  [[ "${lines[4]}" == $'summary\t100000\t4\t'* ]]
  seq -f 'k%g' 1 1000 | ringctl stats c.ring - | grep -q $'^summary\t1000\t'
}

@test "diff with keys prints the move list; every move goes to the new node" {
  cp c.ring next.ring
  ringctl add next.ring e tcp://127.0.0.1:7105
  seq -f 'k%g' 1 20000 | ringctl diff c.ring next.ring - >moves
  [ "$(wc -l <moves)" -gt 0 ]
  awk -F'\t' '$3 != "e" || NF != 3 { bad++ } END { exit bad > 0 }' moves
  # the same keys through locate agree with the move list
  head -n 50 moves | cut -f1 | ringctl locate next.ring - | cut -f2 | sort -u | grep -qx e
  # exact fraction: e's ideal share is 1/6 of the weight
  run ringctl diff c.ring next.ring
  [[ "${lines[0]}" =~ ^summary$'\t'0\.[0-9]+$'\t'0\.166667$'\t'exact ]]
  [[ "${lines[1]}" =~ ^move$'\t'[abcd]$'\t'e$'\t' ]]
}

@test "bad keys input is exit 65 and keeps what was already printed" {
  printf 'k1\nk2\0x\n' >keys
  run ringctl locate c.ring - <keys
  [ "$status" -eq 65 ]
  [[ "$output" == *"<stdin>:2: NUL byte in input"* ]]
  [[ "${lines[0]}" =~ ^k1$'\t' ]]
}
