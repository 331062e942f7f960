#!/usr/bin/env bats
# ringctl(1) follows ringctl itself (DESIGN.md §9: every verb is documented
# in the tool's man page). Every verb that `ringctl --help` lists must have
# its own section under VERBS, and every long flag that `ringctl VERB --help`
# prints must be defined there (or under COMMON OPTIONS, for the flags every
# verb has); and the page documents no verb that ringctl does not have.
load helpers

setup() {
  common_setup
  MAN=${SHARDKIT_SOURCE:-$BATS_TEST_DIRNAME/../..}/man/ringctl.1.scd
}
teardown() { common_teardown; }

setup_file() { cache_help; }

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

@test "the man page source exists and names ringctl(1)" {
  [ -f "$MAN" ]
  head -n 1 "$MAN" | grep -q '^ringctl(1)'
}

@test "every verb has a section under VERBS and a SYNOPSIS line" {
  local verb problems=''
  for verb in $(help_verbs); do
    grep -qx "## $verb" <<<"$(sed -n '/^# VERBS$/,/^# [^#]/p' "$MAN")" ||
      problems+="verb '$verb' has no '## $verb' section under VERBS"$'\n'
    section SYNOPSIS | grep -qF "*ringctl $verb*" ||
      problems+="verb '$verb' is not in SYNOPSIS"$'\n'
  done
  echo -n "$problems"
  [ -z "$problems" ]
}

@test "every flag of every verb is defined in that verb's section" {
  local verb flag common problems=''
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
  echo -n "$problems"
  [ -z "$problems" ]
}

@test "the page documents no verb that ringctl does not have" {
  local verb problems=''
  for verb in $(sed -n '/^# VERBS$/,/^# [^#]/s/^## //p' "$MAN"); do
    help_verbs | grep -qx -- "$verb" || problems+="'## $verb' is not a verb of 'ringctl --help'"$'\n'
  done
  echo -n "$problems"
  [ -z "$problems" ]
}
