#!/bin/sh
# The placement demo: the example ring, a few lookups, the load over a million
# keys, and what moves when a node joins. Usage: demo.sh BINDIR
set -eu
bin=${1:?usage: demo.sh BINDIR}
bin=$(cd "$bin" && pwd)
here=$(cd "$(dirname "$0")/../.." && pwd)
ringctl="$bin/ringctl"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM

step() { printf '\n== %s\n' "$*"; }

cp "$here/share/examples/cluster.ring" "$work/cluster.ring"
cd "$work"

step "the example ring (share/examples/cluster.ring)"
cat cluster.ring

step "ringctl show cluster.ring: exact share of the key space per node"
"$ringctl" show cluster.ring | column -t -s "$(printf '\t')"

step "ringctl locate: which node owns each key"
"$ringctl" locate cluster.ring user:1 user:2 user:3 cart:42

step "ringctl locate --replicas 3: preference lists, distinct racks first"
printf 'user:1\nuser:2\n' | "$ringctl" locate cluster.ring --replicas 3 -

step "ringctl stats --keys 1000000: load over a million generated keys"
"$ringctl" stats cluster.ring --keys 1000000 | column -t -s "$(printf '\t')"

step "ringctl add: node f joins rack3 (atomic edit)"
cp cluster.ring next.ring
"$ringctl" add next.ring f tcp://127.0.0.1:7106 --zone rack3
tail -n 2 next.ring

step "ringctl diff: the exact moved fraction and where it goes"
"$ringctl" diff cluster.ring next.ring | column -t -s "$(printf '\t')"

step "ringctl diff with keys: the move list a migration script would read"
seq -f 'user:%g' 1 20 | "$ringctl" diff cluster.ring next.ring -

step "check: under a consistent hash, keys only move to the new node"
seq -f 'key:%g' 1 100000 | "$ringctl" diff cluster.ring next.ring - >moves.tsv
moved=$(wc -l <moves.tsv)
elsewhere=$(awk -F '\t' '$3 != "f"' moves.tsv | wc -l)
echo "$moved of 100000 keys moved; $elsewhere moved anywhere but to f"
[ "$elsewhere" -eq 0 ]
