# fish completion for txcoord(1), shardkit's transaction coordinator.
# Install as /usr/share/fish/vendor_completions.d/txcoord.fish.
#
# The verbs and each verb's flags mirror `txcoord --help` and
# `txcoord VERB --help`; tests/integration/completions.bats fails when they
# drift apart. Every verb-specific line names its verb in its condition.

# True before the verb has been typed.
function __txcoord_needs_verb
    test (count (commandline -opc)) -eq 1
end

# True when the verb (always the first argument) is $argv[1].
function __txcoord_verb_is
    set -l tokens (commandline -opc)
    test (count $tokens) -ge 2; and test "$tokens[2]" = "$argv[1]"
end

complete -c txcoord -f

# Before the verb.
complete -c txcoord -n __txcoord_needs_verb -s h -l help -d 'show help'
complete -c txcoord -n __txcoord_needs_verb -l version -d 'print the version'
complete -c txcoord -n __txcoord_needs_verb -a serve -d 'run the coordinator'
complete -c txcoord -n __txcoord_needs_verb -a submit -d 'run transactions read from stdin'
complete -c txcoord -n __txcoord_needs_verb -a get -d 'read keys in one serializable transaction'
complete -c txcoord -n __txcoord_needs_verb -a outcome -d 'print what became of a transaction'
complete -c txcoord -n __txcoord_needs_verb -a status -d "print the coordinator's counters, rates and latencies"
complete -c txcoord -n __txcoord_needs_verb -a inflight -d 'list the transactions the coordinator is running'
complete -c txcoord -n __txcoord_needs_verb -a heuristics -d 'list heuristic outcomes reported by participants'
complete -c txcoord -n __txcoord_needs_verb -a bench -d 'load-test a coordinator with many pipelined clients'
complete -c txcoord -n __txcoord_needs_verb -a failpoints -d 'list the failpoints a coordinator hits'

# Flags of every verb.
complete -c txcoord -n 'not __txcoord_needs_verb' -s h -l help -d 'show help'
complete -c txcoord -n 'not __txcoord_needs_verb' -l json -d 'print JSON Lines instead of TSV'
complete -c txcoord -n 'not __txcoord_needs_verb' -l log-level -x -a 'error warn info debug' -d 'log level'

# serve
complete -c txcoord -n '__txcoord_verb_is serve' -l data -x -a '(__fish_complete_directories)' -d 'data directory'
complete -c txcoord -n '__txcoord_verb_is serve' -l ring -r -F -d 'ring file that routes keys'
complete -c txcoord -n '__txcoord_verb_is serve' -l listen -x -d 'endpoint to bind'
complete -c txcoord -n '__txcoord_verb_is serve' -l advertise -x -d 'endpoints participants use to reach this coordinator'
complete -c txcoord -n '__txcoord_verb_is serve' -l curve-secret -r -F -d 'serve with CURVE using this NAME.secret file'
complete -c txcoord -n '__txcoord_verb_is serve' -l allow -r -F -d 'client public keys allowed with CURVE'
complete -c txcoord -n '__txcoord_verb_is serve' -l insecure -d 'allow plaintext on a non-loopback address'
complete -c txcoord -n '__txcoord_verb_is serve' -l vote-timeout -x -d 'abort when votes are missing after MS'
complete -c txcoord -n '__txcoord_verb_is serve' -l snapshot-bytes -x -d 'take a snapshot each time the log grows by N bytes'
complete -c txcoord -n '__txcoord_verb_is serve' -l segment-bytes -x -d 'start a new log segment once one holds N bytes'
complete -c txcoord -n '__txcoord_verb_is serve' -l standby -d 'start as a hot standby of a replication group'
complete -c txcoord -n '__txcoord_verb_is serve' -l ack-timeout -x -d 'answer not replicated (75) after waiting this long'

# submit
complete -c txcoord -n '__txcoord_verb_is submit' -l connect -x -d 'txcoord serve endpoint'
complete -c txcoord -n '__txcoord_verb_is submit' -l server-key -r -F -d 'server CURVE public key: Z85 or a .key file'
complete -c txcoord -n '__txcoord_verb_is submit' -l curve-secret -r -F -d 'client NAME.secret file'
complete -c txcoord -n '__txcoord_verb_is submit' -l timeout -x -d 'milliseconds to wait for each reply'
complete -c txcoord -n '__txcoord_verb_is submit' -l retries -x -d 'resends of an unanswered request'
complete -c txcoord -n '__txcoord_verb_is submit' -l txid -x -d 'client txid of the first transaction'
complete -c txcoord -n '__txcoord_verb_is submit' -l window -x -d 'transactions in flight'

# get
complete -c txcoord -n '__txcoord_verb_is get' -l connect -x -d 'txcoord serve endpoint'
complete -c txcoord -n '__txcoord_verb_is get' -l server-key -r -F -d 'server CURVE public key: Z85 or a .key file'
complete -c txcoord -n '__txcoord_verb_is get' -l curve-secret -r -F -d 'client NAME.secret file'
complete -c txcoord -n '__txcoord_verb_is get' -l timeout -x -d 'milliseconds to wait for each reply'
complete -c txcoord -n '__txcoord_verb_is get' -l retries -x -d 'resends of an unanswered request'

# outcome
complete -c txcoord -n '__txcoord_verb_is outcome' -l connect -x -d 'txcoord serve endpoint'
complete -c txcoord -n '__txcoord_verb_is outcome' -l server-key -r -F -d 'server CURVE public key: Z85 or a .key file'
complete -c txcoord -n '__txcoord_verb_is outcome' -l curve-secret -r -F -d 'client NAME.secret file'
complete -c txcoord -n '__txcoord_verb_is outcome' -l timeout -x -d 'milliseconds to wait for each reply'
complete -c txcoord -n '__txcoord_verb_is outcome' -l retries -x -d 'resends of an unanswered request'

# status
complete -c txcoord -n '__txcoord_verb_is status' -l connect -x -d 'txcoord serve endpoint'
complete -c txcoord -n '__txcoord_verb_is status' -l server-key -r -F -d 'server CURVE public key: Z85 or a .key file'
complete -c txcoord -n '__txcoord_verb_is status' -l curve-secret -r -F -d 'client NAME.secret file'
complete -c txcoord -n '__txcoord_verb_is status' -l timeout -x -d 'milliseconds to wait for each reply'
complete -c txcoord -n '__txcoord_verb_is status' -l retries -x -d 'resends of an unanswered request'

# inflight
complete -c txcoord -n '__txcoord_verb_is inflight' -l connect -x -d 'txcoord serve endpoint'
complete -c txcoord -n '__txcoord_verb_is inflight' -l server-key -r -F -d 'server CURVE public key: Z85 or a .key file'
complete -c txcoord -n '__txcoord_verb_is inflight' -l curve-secret -r -F -d 'client NAME.secret file'
complete -c txcoord -n '__txcoord_verb_is inflight' -l timeout -x -d 'milliseconds to wait for each reply'
complete -c txcoord -n '__txcoord_verb_is inflight' -l retries -x -d 'resends of an unanswered request'

# heuristics
complete -c txcoord -n '__txcoord_verb_is heuristics' -l connect -x -d 'txcoord serve endpoint'
complete -c txcoord -n '__txcoord_verb_is heuristics' -l server-key -r -F -d 'server CURVE public key: Z85 or a .key file'
complete -c txcoord -n '__txcoord_verb_is heuristics' -l curve-secret -r -F -d 'client NAME.secret file'
complete -c txcoord -n '__txcoord_verb_is heuristics' -l timeout -x -d 'milliseconds to wait for each reply'
complete -c txcoord -n '__txcoord_verb_is heuristics' -l retries -x -d 'resends of an unanswered request'

# bench
complete -c txcoord -n '__txcoord_verb_is bench' -l connect -x -d 'txcoord serve endpoint'
complete -c txcoord -n '__txcoord_verb_is bench' -l server-key -r -F -d 'server CURVE public key: Z85 or a .key file'
complete -c txcoord -n '__txcoord_verb_is bench' -l curve-secret -r -F -d 'client NAME.secret file'
complete -c txcoord -n '__txcoord_verb_is bench' -l timeout -x -d 'milliseconds to wait for each reply'
complete -c txcoord -n '__txcoord_verb_is bench' -l retries -x -d 'resends of an unanswered request'
complete -c txcoord -n '__txcoord_verb_is bench' -l clients -x -d 'simulated clients'
complete -c txcoord -n '__txcoord_verb_is bench' -l duration -x -d 'seconds to run'
complete -c txcoord -n '__txcoord_verb_is bench' -l keys -x -d 'distinct keys'
complete -c txcoord -n '__txcoord_verb_is bench' -l ops-per-tx -x -d 'puts per transaction'
complete -c txcoord -n '__txcoord_verb_is bench' -l shards -x -d 'distinct nodes per transaction'
complete -c txcoord -n '__txcoord_verb_is bench' -l ring -r -F -d 'ring file, to choose keys by node'

# failpoints: no flags or arguments of its own
complete -c txcoord -n '__txcoord_verb_is failpoints' -f
