# Shared set-up for the bats suites. Each test gets its own temp dir, and
# every process a test starts is tracked by PID and killed in teardown.
ringctl() { "$SHARDKIT_BIN/ringctl" "$@"; }

common_setup() {
  TMP=$(mktemp -d)
  PIDS=()
  cd "$TMP"
}

common_teardown() {
  for pid in "${PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  cd /
  rm -rf "$TMP"
}

# Waits (bounded) until FILE contains a line matching REGEX.
wait_for_line() {
  local file=$1 regex=$2
  for _ in $(seq 100); do
    grep -qE "$regex" "$file" 2>/dev/null && return 0
    sleep 0.05
  done
  echo "timed out waiting for /$regex/ in $file:" >&2
  cat "$file" >&2
  return 1
}

make_ring() {
  ringctl new -o "$1"
  ringctl add "$1" a tcp://127.0.0.1:7101 --zone r1
  ringctl add "$1" b tcp://127.0.0.1:7102 --zone r1
  ringctl add "$1" c tcp://127.0.0.1:7103 --zone r2 --weight 2
  ringctl add "$1" d tcp://127.0.0.1:7104 --zone r3
}

# --help parsing shared by the completion and man-page drift tests. They
# check every tool in $TOOLS; the functions below read the tool in $TOOL.
TOOLS="ringctl txpart txcoord replicad"
TOOL=ringctl

# Runs `TOOL --help` and every `TOOL VERB --help` once per file, per tool.
cache_help() {
  export HELP_CACHE=$BATS_FILE_TMPDIR/help
  local tool verb
  for tool in $TOOLS; do
    mkdir -p "$HELP_CACHE/$tool"
    "$SHARDKIT_BIN/$tool" --help >"$HELP_CACHE/$tool/main"
    for verb in $(TOOL=$tool help_verbs); do
      "$SHARDKIT_BIN/$tool" "$verb" --help >"$HELP_CACHE/$tool/verb-$verb"
    done
  done
}

# The verbs that `TOOL --help` lists, one per line.
help_verbs() {
  awk '/^Verbs:/ { on = 1; next } on && NF == 0 { exit } on { print $1 }' "$HELP_CACHE/$TOOL/main"
}

# The long flags of verb $1, one per line. cxxopts prints an option line as
# "  -o, --output FILE  description" or "      --json  description": the flag
# is taken from the option column only, because a description may name
# another verb's flag ("failure zone, for --replicas placement").
verb_flags() {
  sed -nE 's/^  (-[[:alnum:]], |    )(--[[:alnum:]][[:alnum:]-]*).*/\2/p' "$HELP_CACHE/$TOOL/verb-$1" |
    { grep -vx -- '--args' || true; }
}

# The flags that every verb has (--help, --json, --log-level), one per line.
common_flags() {
  local verb verbs
  verbs=$(help_verbs)
  for verb in $verbs; do verb_flags "$verb"; done |
    sort | uniq -c | awk -v n="$(wc -l <<<"$verbs")" '$1 == n { print $2 }'
}

# Runs check function $1 for every tool in $TOOLS, with TOOL set, and fails
# if it failed for any of them (after running it for all).
for_each_tool() {
  local failed=0
  for TOOL in $TOOLS; do "$@" || failed=1; done
  TOOL=ringctl
  return $failed
}
