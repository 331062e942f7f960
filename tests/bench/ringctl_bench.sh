#!/bin/sh
# End-to-end ringctl benchmarks (issue targets in the closing note):
#   - locate over 10,000,000 ~16-byte keys from a file, 100 nodes, to a file,
#     for ring and ketama: keys/s and peak RSS;
#   - building and diffing two 1,000-node rings;
#   - in-process lookups with `ringctl bench` on 1,000 nodes x 160 points;
#   - serve + query over loopback TCP with 1,000-key batches.
# Prints figures; never pass/fail on time. Usage: ringctl_bench.sh BINDIR [KEYS]
set -eu
bin=$(cd "${1:?usage: ringctl_bench.sh BINDIR [KEYS]}" && pwd)
keys=${2:-10000000}
ringctl="$bin/ringctl"
work=$(mktemp -d)
server=
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"' EXIT INT TERM
cd "$work"

now() { date +%s.%N; }
# Runs a command under GNU time (when installed) so that peak_mb can report its peak RSS.
rss() { if [ -x /usr/bin/time ]; then /usr/bin/time -f '%M' -o rss.txt "$@"; else echo 0 >rss.txt; "$@"; fi; }
peak_mb() { echo $(($(cat rss.txt) / 1024)); }

awk -v n="$keys" 'BEGIN { for (i = 0; i < n; i++) printf "user:%011d\n", (i * 2654435761) % 100000000000 }' >keys.txt
echo "keys_file_bytes $(wc -c <keys.txt) keys $keys"

for algo in ring ketama; do
  "$ringctl" new --algorithm "$algo" -o "$algo.ring"
  i=0
  while [ $i -lt 100 ]; do
    if [ "$algo" = ketama ]; then echo "10.0.$((i / 250)).$((i % 250)):11211 1"; else echo "n$i 1"; fi
    i=$((i + 1))
  done >servers
  if [ "$algo" = ketama ]; then
    "$ringctl" import --algorithm ketama -o "$algo.ring" servers
  else
    while read -r n w; do echo "node $n weight=$w"; done <servers >>"$algo.ring"
  fi
  t0=$(now)
  rss "$ringctl" locate "$algo.ring" - <keys.txt >out.tsv
  t1=$(now)
  mb=$(peak_mb)
  echo "locate algorithm=$algo nodes=100 keys=$keys seconds=$(echo "$t1 - $t0" | bc) keys_per_sec=$(echo "$keys / ($t1 - $t0)" | bc) peak_rss_mb=$mb"
done

# 1,000-node rings: build (via show, which builds and computes exact shares) and exact diff.
"$ringctl" new -o big.ring
i=0
while [ $i -lt 1000 ]; do echo "node n$i weight=1"; i=$((i + 1)); done >>big.ring
cp big.ring big2.ring
echo "node extra weight=1" >>big2.ring
t0=$(now); "$ringctl" show big.ring >/dev/null; t1=$(now)
echo "show_1000_nodes_ms $(echo "($t1 - $t0) * 1000" | bc)"
t0=$(now); "$ringctl" diff big.ring big2.ring >/dev/null; t1=$(now)
echo "diff_1000_nodes_exact_ms $(echo "($t1 - $t0) * 1000" | bc)"
"$ringctl" bench big.ring --keys 5000000

# serve + query: the keys file through a local server, compared with locate.
"$ringctl" serve ring.ring --listen 'tcp://127.0.0.1:*' --log-level info 2>serve.log &
server=$!
i=0
while ! grep -q 'msg=serving' serve.log && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
ep=$(grep -o 'listen=tcp://[0-9.:]*' serve.log | head -n 1 | cut -d= -f2)
t0=$(now)
"$ringctl" query --connect "$ep" --batch 1000 - <keys.txt >query.tsv
t1=$(now)
echo "query batch=1000 keys=$keys seconds=$(echo "$t1 - $t0" | bc) keys_per_sec=$(echo "$keys / ($t1 - $t0)" | bc)"
"$ringctl" locate ring.ring - <keys.txt | cmp -s - query.tsv && echo "query_output_matches_locate yes"
