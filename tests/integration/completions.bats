#!/usr/bin/env bats
# The shell completions follow each tool itself (DESIGN.md §9: every flag
# is completed in bash, zsh and fish). For every tool in $TOOLS, every verb
# that `TOOL --help` lists, and every long flag that `TOOL VERB --help`
# prints, must be completed by each of the three files, for that verb; no
# file may offer a verb that `TOOL --help` does not list; and each file must
# parse.
load helpers

setup() {
  common_setup
  src=${SHARDKIT_SOURCE:-$BATS_TEST_DIRNAME/../..}
  set_files
}
teardown() { common_teardown; }

setup_file() { cache_help; }

# The completion files of $TOOL.
set_files() {
  BASH_FILE=$src/completions/$TOOL.bash
  ZSH_FILE=$src/completions/_$TOOL
  FISH_FILE=$src/completions/$TOOL.fish
}

# The part of each completion file that belongs to verb $1.
bash_block() { grep -E "^[[:space:]]*$1\) flags=" "$BASH_FILE" || true; }
zsh_block() {
  awk -v label="($1)" '$1 == label { on = 1 } on { print } on && /;;/ { exit }' "$ZSH_FILE"
}
fish_block() { grep -E "__${TOOL}_(verb_is|at) $1[ ']" "$FISH_FILE" || true; }

# True when text $2 completes long flag $1 (given as --name).
has_flag_sh() { grep -qE -- "(^|[^[:alnum:]-])$1([^[:alnum:]-]|\$)" <<<"$2"; }
has_flag_fish() { grep -qE -- "(-l|--long-option) ${1#--}( |\$)" <<<"$2"; }

# The verbs each file offers where a verb is expected, one per line.
bash_listed() { sed -nE "s/^[[:space:]]*local verbs='([^']*)'.*/\1/p" "$BASH_FILE" | tr ' ' '\n' | sed '/^$/d'; }
zsh_listed() {
  awk '/^[[:space:]]*verbs=\(/ { on = 1; next } on && /^[[:space:]]*\)/ { exit } on' "$ZSH_FILE" |
    sed -nE "s/^[[:space:]]*['\"]([a-z][a-z0-9-]*):.*/\1/p"
}
fish_listed() { sed -nE "s/.*__${TOOL}_needs_verb -a ([a-z][a-z0-9-]*) .*/\\1/p" "$FISH_FILE"; }

# Every verb name a file mentions anywhere it means a verb: its verb list
# and its per-verb branches.
bash_mentioned() {
  bash_listed
  sed -nE 's/^[[:space:]]*([a-z][a-z0-9-]*( \| [a-z][a-z0-9-]*)*)\).*/\1/p' "$BASH_FILE" | tr -d ' ' | tr '|' '\n'
}
zsh_mentioned() {
  zsh_listed
  awk '/case \$words\[1\] in/ { on = 1; next } on && /^[[:space:]]*esac/ { exit } on' "$ZSH_FILE" |
    sed -nE 's/^[[:space:]]*\(([a-z][a-z0-9-]*)\).*/\1/p'
}
fish_mentioned() {
  fish_listed
  grep -oE "__${TOOL}_(verb_is|at) [a-z][a-z0-9-]*" "$FISH_FILE" | awk '{ print $2 }'
}

# Checks one file ($1: bash, zsh or fish): prints what is missing or extra
# and fails if anything is.
check_file() {
  set_files
  local shell=$1 verb flag block problems='' common has
  common=$(common_flags)
  [ "$shell" = fish ] && has=has_flag_fish || has=has_flag_sh
  local file_var=${shell^^}_FILE
  local file=${!file_var}
  [ -f "$file" ] || { echo "missing file $file"; return 1; }
  for verb in $(help_verbs); do
    "${shell}_listed" | grep -qx -- "$verb" || problems+="verb '$verb' is not offered as a verb"$'\n'
    block=$("${shell}_block" "$verb")
    [ -n "$block" ] || problems+="verb '$verb' has no branch of its own"$'\n'
    for flag in $(verb_flags "$verb"); do
      grep -qx -- "$flag" <<<"$common" && continue
      "$has" "$flag" "$block" || problems+="flag $flag of '$verb' is not completed for '$verb'"$'\n'
    done
  done
  for flag in $common; do
    "$has" "$flag" "$(cat "$file")" || problems+="common flag $flag is not completed"$'\n'
  done
  for verb in $("${shell}_mentioned" | sort -u); do
    help_verbs | grep -qx -- "$verb" || problems+="verb '$verb' is not in '$TOOL --help'"$'\n'
  done
  if [ -n "$problems" ]; then
    sed "s|^|$file: |" <<<"${problems%$'\n'}"
    return 1
  fi
}

@test "ringctl --help and VERB --help parse into verbs and flags" {
  [ "$(help_verbs | wc -l)" -ge 10 ]
  help_verbs | grep -qx locate
  verb_flags locate | grep -qx -- --replicas
  verb_flags new | grep -qx -- --output
  [ "$(common_flags | sort | tr '\n' ' ')" = "--help --json --log-level " ]
  # add's --zone description names --replicas, which is not add's flag.
  [ -z "$(verb_flags add | grep -x -- --replicas)" ]
}

@test "bash completion of every tool covers every verb and flag, and no other verb" {
  for_each_tool check_file bash
}

@test "zsh completion of every tool covers every verb and flag, and no other verb" {
  for_each_tool check_file zsh
}

@test "fish completion of every tool covers every verb and flag, and no other verb" {
  for_each_tool check_file fish
}

# Drives the real bash completion function of $TOOL, as bash would on TAB.
complete_bash() {
  bash -c 'source "$1"; tool=$2; shift 2; COMP_WORDS=("$tool" "$@"); COMP_CWORD=$#
           "_$tool"; printf "%s\n" "${COMPREPLY[@]}"' - "$BASH_FILE" "$TOOL" "$@"
}

# Checks that bash completes exactly $TOOL's verbs, and each verb's flags.
check_bash_runtime() {
  set_files
  local verb flag got problems=''
  [ "$(complete_bash '' | sort)" = "$(help_verbs | sort)" ] || problems+="verb list differs"$'\n'
  for verb in $(help_verbs); do
    got=$(complete_bash "$verb" --)
    for flag in $(verb_flags "$verb"); do
      grep -qx -- "$flag" <<<"$got" || problems+="$verb: $flag"$'\n'
    done
  done
  [ -z "$problems" ] || { sed "s|^|$TOOL: |" <<<"${problems%$'\n'}"; return 1; }
}

@test "bash completion offers exactly the verbs, and each verb's flags" {
  for_each_tool check_bash_runtime
  set_files  # ringctl's value completions
  [ "$(complete_bash new --algorithm '' | sort | tr '\n' ' ')" = \
    "jump ketama libmemcached maglev nginx rendezvous ring " ]
  [ "$(complete_bash new --hash '' | sort | tr '\n' ' ')" = "xxh3 xxh64 " ]
  [ "$(complete_bash show --log-level '' | sort | tr '\n' ' ')" = "debug error info warn " ]
  make_ring c.ring
  [ "$(complete_bash remove c.ring '' | sort | tr '\n' ' ')" = "a b c d " ]
  [ "$(complete_bash show c.r)" = c.ring ]
}

complete_fish() {
  fish -c 'source $argv[1]; complete -C $argv[2]' "$FISH_FILE" "$1" | cut -f1
}

# Checks that fish completes exactly $TOOL's verbs, and each verb's flags.
check_fish_runtime() {
  set_files
  local verb flag got problems=''
  [ "$(complete_fish "$TOOL " | sort)" = "$(help_verbs | sort)" ] || problems+="verb list differs"$'\n'
  for verb in $(help_verbs); do
    got=$(complete_fish "$TOOL $verb --")
    for flag in $(verb_flags "$verb"); do
      grep -qx -- "$flag" <<<"$got" || problems+="$verb: $flag"$'\n'
    done
  done
  [ -z "$problems" ] || { sed "s|^|$TOOL: |" <<<"${problems%$'\n'}"; return 1; }
}

@test "fish completion offers exactly the verbs, and each verb's flags" {
  command -v fish >/dev/null || skip "fish is not installed: run-time fish check skipped"
  for_each_tool check_fish_runtime
  set_files
  [ "$(complete_fish 'ringctl new --hash ' | sort | tr '\n' ' ')" = "xxh3 xxh64 " ]
}

@test "bash completion parses (bash -n)" {
  parse() { set_files; bash -n "$BASH_FILE"; }
  for_each_tool parse
}

@test "zsh completion parses (zsh -n)" {
  command -v zsh >/dev/null || skip "zsh is not installed: zsh -n check skipped"
  parse() { set_files; zsh -n "$ZSH_FILE"; }
  for_each_tool parse
}

@test "fish completion parses (fish -n)" {
  command -v fish >/dev/null || skip "fish is not installed: fish -n check skipped"
  parse() { set_files; fish -n "$FISH_FILE"; }
  for_each_tool parse
}
