#!/usr/bin/env bats
# Each tool's man page follows the tool itself (DESIGN.md §9: every verb is
# documented in the tool's man page). For every tool in $TOOLS, the page is
# the one `TOOL --help` names ("See TOOL(N) for details.": section 1 for
# commands, 8 for the daemon replicad), every verb that `TOOL --help` lists
# must have its own section under VERBS of TOOL(N),
# and every long flag that `TOOL VERB --help` prints must be defined there
# (or under COMMON OPTIONS, for the flags every verb has); and the page
# documents no verb that the tool does not have.
load helpers

setup() {
  common_setup
  src=${SHARDKIT_SOURCE:-$BATS_TEST_DIRNAME/../..}
}
teardown() { common_teardown; }

setup_file() { cache_help; }

# Sets SECTION to the manual section `TOOL --help` names, and MAN to the
# page's source, man/TOOL.SECTION.scd.
man_file() {
  SECTION=$(sed -nE "s/^See $TOOL\(([1-9])\) for details\.\$/\1/p" "$HELP_CACHE/$TOOL/main")
  MAN=$src/man/$TOOL.${SECTION:-?}.scd
}

# The lines of section "# $1", or of its subsection "## $2" when given.
section() {
  awk -v top="# $1" -v sub_="${2:+## $2}" '
    /^# / { in_top = ($0 == top); in_sub = 0; next }
    /^## / { in_sub = ($0 == sub_); next }
    in_top && (sub_ == "" || in_sub)' "$MAN"
}

# True when lines $2 define flag $1: a line that starts with "*--flag*" or
# "*-x*, *--flag*", as scdoc definition lists do.
defines_flag() {
  grep -qE -- "^\*(-[[:alnum:]]\*, \*)?$1\*( |\$)" <<<"$2"
}

check_exists() {
  man_file
  [ -n "$SECTION" ] || { echo "$TOOL --help names no 'See $TOOL(N) for details.' page"; return 1; }
  [ -f "$MAN" ] || { echo "missing $MAN, the page '$TOOL --help' names"; return 1; }
  head -n 1 "$MAN" | grep -q "^$TOOL($SECTION)" ||
    { echo "$MAN does not start with $TOOL($SECTION)"; return 1; }
}

@test "each tool's man page source exists, in the section its --help names" {
  for_each_tool check_exists
  # Commands are in section 1, the replication daemon in section 8.
  TOOL=txpart man_file
  [ "$SECTION" = 1 ]
  TOOL=replicad man_file
  [ "$SECTION" = 8 ]
}

check_verbs() {
  man_file
  local verb problems=''
  for verb in $(help_verbs); do
    grep -qx "## $verb" <<<"$(sed -n '/^# VERBS$/,/^# [^#]/p' "$MAN")" ||
      problems+="verb '$verb' has no '## $verb' section under VERBS"$'\n'
    section SYNOPSIS | grep -qF "*$TOOL $verb*" ||
      problems+="verb '$verb' is not in SYNOPSIS"$'\n'
  done
  [ -z "$problems" ] || { sed "s|^|$TOOL($SECTION): |" <<<"${problems%$'\n'}"; return 1; }
}

@test "every verb has a section under VERBS and a SYNOPSIS line" {
  for_each_tool check_verbs
}

check_flags() {
  man_file
  local verb flag common body problems=''
  common=$(common_flags)
  [ -n "$common" ]
  for verb in $(help_verbs); do
    body=$(section VERBS "$verb")
    for flag in $(verb_flags "$verb"); do
      grep -qx -- "$flag" <<<"$common" && continue
      defines_flag "$flag" "$body" || problems+="flag $flag of '$verb' is not defined under '## $verb'"$'\n'
    done
  done
  for flag in $common --version; do
    defines_flag "$flag" "$(section 'COMMON OPTIONS')" ||
      problems+="flag $flag is not defined under COMMON OPTIONS"$'\n'
  done
  [ -z "$problems" ] || { sed "s|^|$TOOL($SECTION): |" <<<"${problems%$'\n'}"; return 1; }
}

@test "every flag of every verb is defined in that verb's section" {
  for_each_tool check_flags
}

check_no_extra() {
  man_file
  local verb problems=''
  for verb in $(sed -n '/^# VERBS$/,/^# [^#]/s/^## //p' "$MAN"); do
    help_verbs | grep -qx -- "$verb" || problems+="'## $verb' is not a verb of '$TOOL --help'"$'\n'
  done
  [ -z "$problems" ] || { sed "s|^|$TOOL($SECTION): |" <<<"${problems%$'\n'}"; return 1; }
}

@test "each page documents no verb that its tool does not have" {
  for_each_tool check_no_extra
}
