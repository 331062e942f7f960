# fish completion for txpart(1), shardkit's transaction participant.
# Install as /usr/share/fish/vendor_completions.d/txpart.fish.
#
# The verbs and each verb's flags mirror `txpart --help` and
# `txpart VERB --help`; tests/integration/completions.bats fails when they
# drift apart. Every verb-specific line names its verb in its condition.

# True before the verb has been typed.
function __txpart_needs_verb
    test (count (commandline -opc)) -eq 1
end

# True when the verb (always the first argument) is $argv[1].
function __txpart_verb_is
    set -l tokens (commandline -opc)
    test (count $tokens) -ge 2; and test "$tokens[2]" = "$argv[1]"
end

# Prints the verb's positional arguments before the cursor, without flags
# and their values.
function __txpart_args
    set -l tokens (commandline -opc)
    set -e tokens[1..2]
    set -l skip 0
    for t in $tokens
        if test $skip -eq 1
            set skip 0
            continue
        end
        switch $t
            case --log-level --data --listen --advertise --curve-secret --allow --peer-key --inquire-initial --inquire-max --snapshot-bytes --segment-bytes --ack-timeout --connect --server-key --timeout --retries --prefix --limit --min-lsn --max-staleness --ack --clients --duration --keys --value-size
                set skip 1
            case '-?*'
            case '*'
                echo -- $t
        end
    end
end

# True when the verb is $argv[1] and exactly $argv[2] positional arguments
# precede the cursor.
function __txpart_at
    __txpart_verb_is $argv[1]; or return 1
    test (count (__txpart_args)) -eq $argv[2]
end

complete -c txpart -f

# Before the verb.
complete -c txpart -n __txpart_needs_verb -s h -l help -d 'show help'
complete -c txpart -n __txpart_needs_verb -l version -d 'print the version'
complete -c txpart -n __txpart_needs_verb -a serve -d 'run the participant of one shard'
complete -c txpart -n __txpart_needs_verb -a get -d 'print the committed values of keys'
complete -c txpart -n __txpart_needs_verb -a put -d 'set a key, durably, outside any transaction'
complete -c txpart -n __txpart_needs_verb -a del -d 'delete a key, durably, outside any transaction'
complete -c txpart -n __txpart_needs_verb -a scan -d 'print the keys with a prefix and their values'
complete -c txpart -n __txpart_needs_verb -a prepared -d 'list the transactions not finished here'
complete -c txpart -n __txpart_needs_verb -a resolve -d 'force the outcome of an in-doubt transaction'
complete -c txpart -n __txpart_needs_verb -a status -d 'print counters, rates, locks and heuristic outcomes'
complete -c txpart -n __txpart_needs_verb -a bench -d 'measure durable single-shard put throughput'
complete -c txpart -n __txpart_needs_verb -a failpoints -d 'list the failpoint names serve hits (for fault tests)'

# Flags of every verb.
complete -c txpart -n 'not __txpart_needs_verb' -s h -l help -d 'show help'
complete -c txpart -n 'not __txpart_needs_verb' -l json -d 'print JSON Lines instead of TSV'
complete -c txpart -n 'not __txpart_needs_verb' -l log-level -x -a 'error warn info debug' -d 'log level'

# serve
complete -c txpart -n '__txpart_verb_is serve' -l data -x -a '(__fish_complete_directories)' -d 'data directory'
complete -c txpart -n '__txpart_verb_is serve' -l listen -x -d 'endpoint to bind'
complete -c txpart -n '__txpart_verb_is serve' -l advertise -x -d 'address coordinators know this participant by'
complete -c txpart -n '__txpart_verb_is serve' -l curve-secret -r -F -d 'serve with CURVE using this NAME.secret file'
complete -c txpart -n '__txpart_verb_is serve' -l allow -r -F -d 'client public keys allowed with CURVE'
complete -c txpart -n '__txpart_verb_is serve' -l insecure -d 'allow plaintext on a non-loopback address'
complete -c txpart -n '__txpart_verb_is serve' -l peer-key -r -F -d 'CURVE public key of coordinators and peers'
complete -c txpart -n '__txpart_verb_is serve' -l inquire-initial -x -d 'milliseconds in doubt before the first INQUIRE'
complete -c txpart -n '__txpart_verb_is serve' -l inquire-max -x -d 'longest delay between INQUIREs'
complete -c txpart -n '__txpart_verb_is serve' -l snapshot-bytes -x -d 'take a snapshot each time the log grows by N bytes'
complete -c txpart -n '__txpart_verb_is serve' -l segment-bytes -x -d 'start a new log segment once one holds N bytes'
complete -c txpart -n '__txpart_verb_is serve' -l standby -d 'start as a hot standby of a replication group'
complete -c txpart -n '__txpart_verb_is serve' -l ack-timeout -x -d 'answer not replicated (75) after waiting this long'

# get
complete -c txpart -n '__txpart_verb_is get' -l connect -x -d 'server endpoint'
complete -c txpart -n '__txpart_verb_is get' -l server-key -r -F -d 'server CURVE public key: Z85 or a .key file'
complete -c txpart -n '__txpart_verb_is get' -l curve-secret -r -F -d 'client NAME.secret file'
complete -c txpart -n '__txpart_verb_is get' -l timeout -x -d 'milliseconds to wait for each reply'
complete -c txpart -n '__txpart_verb_is get' -l retries -x -d 'resends of an unanswered request'
complete -c txpart -n '__txpart_verb_is get' -l min-lsn -x -d 'read-your-writes: wait until the member has applied LSN N'
complete -c txpart -n '__txpart_verb_is get' -l max-staleness -x -d 'on a standby: wait until it was in sync with the primary at most MS ago'

# put
complete -c txpart -n '__txpart_verb_is put' -l connect -x -d 'server endpoint'
complete -c txpart -n '__txpart_verb_is put' -l server-key -r -F -d 'server CURVE public key: Z85 or a .key file'
complete -c txpart -n '__txpart_verb_is put' -l curve-secret -r -F -d 'client NAME.secret file'
complete -c txpart -n '__txpart_verb_is put' -l timeout -x -d 'milliseconds to wait for each reply'
complete -c txpart -n '__txpart_verb_is put' -l retries -x -d 'resends of an unanswered request'
complete -c txpart -n '__txpart_verb_is put' -l ack -x -a 'none local received:1 flushed:1 applied:1' -d 'ack level on top of the group\'s'
complete -c txpart -n '__txpart_at put 1' -a - -d 'value from stdin'

# del
complete -c txpart -n '__txpart_verb_is del' -l connect -x -d 'server endpoint'
complete -c txpart -n '__txpart_verb_is del' -l server-key -r -F -d 'server CURVE public key: Z85 or a .key file'
complete -c txpart -n '__txpart_verb_is del' -l curve-secret -r -F -d 'client NAME.secret file'
complete -c txpart -n '__txpart_verb_is del' -l timeout -x -d 'milliseconds to wait for each reply'
complete -c txpart -n '__txpart_verb_is del' -l retries -x -d 'resends of an unanswered request'
complete -c txpart -n '__txpart_verb_is del' -l ack -x -a 'none local received:1 flushed:1 applied:1' -d 'ack level on top of the group\'s'

# scan
complete -c txpart -n '__txpart_verb_is scan' -l connect -x -d 'server endpoint'
complete -c txpart -n '__txpart_verb_is scan' -l server-key -r -F -d 'server CURVE public key: Z85 or a .key file'
complete -c txpart -n '__txpart_verb_is scan' -l curve-secret -r -F -d 'client NAME.secret file'
complete -c txpart -n '__txpart_verb_is scan' -l timeout -x -d 'milliseconds to wait for each reply'
complete -c txpart -n '__txpart_verb_is scan' -l retries -x -d 'resends of an unanswered request'
complete -c txpart -n '__txpart_verb_is scan' -l prefix -x -d 'only keys starting with P'
complete -c txpart -n '__txpart_verb_is scan' -l limit -x -d 'print at most N entries'
complete -c txpart -n '__txpart_verb_is scan' -l min-lsn -x -d 'read-your-writes: wait until the member has applied LSN N'
complete -c txpart -n '__txpart_verb_is scan' -l max-staleness -x -d 'on a standby: wait until it was in sync with the primary at most MS ago'

# prepared
complete -c txpart -n '__txpart_verb_is prepared' -l connect -x -d 'server endpoint'
complete -c txpart -n '__txpart_verb_is prepared' -l server-key -r -F -d 'server CURVE public key: Z85 or a .key file'
complete -c txpart -n '__txpart_verb_is prepared' -l curve-secret -r -F -d 'client NAME.secret file'
complete -c txpart -n '__txpart_verb_is prepared' -l timeout -x -d 'milliseconds to wait for each reply'
complete -c txpart -n '__txpart_verb_is prepared' -l retries -x -d 'resends of an unanswered request'

# resolve
complete -c txpart -n '__txpart_verb_is resolve' -l connect -x -d 'server endpoint'
complete -c txpart -n '__txpart_verb_is resolve' -l server-key -r -F -d 'server CURVE public key: Z85 or a .key file'
complete -c txpart -n '__txpart_verb_is resolve' -l curve-secret -r -F -d 'client NAME.secret file'
complete -c txpart -n '__txpart_verb_is resolve' -l timeout -x -d 'milliseconds to wait for each reply'
complete -c txpart -n '__txpart_verb_is resolve' -l retries -x -d 'resends of an unanswered request'
complete -c txpart -n '__txpart_verb_is resolve' -l commit -d 'commit the transaction here'
complete -c txpart -n '__txpart_verb_is resolve' -l abort -d 'abort the transaction here'

# status
complete -c txpart -n '__txpart_verb_is status' -l connect -x -d 'server endpoint'
complete -c txpart -n '__txpart_verb_is status' -l server-key -r -F -d 'server CURVE public key: Z85 or a .key file'
complete -c txpart -n '__txpart_verb_is status' -l curve-secret -r -F -d 'client NAME.secret file'
complete -c txpart -n '__txpart_verb_is status' -l timeout -x -d 'milliseconds to wait for each reply'
complete -c txpart -n '__txpart_verb_is status' -l retries -x -d 'resends of an unanswered request'
complete -c txpart -n '__txpart_verb_is status' -l locks -d 'list the locks held'
complete -c txpart -n '__txpart_verb_is status' -l heuristics -d 'list the heuristic outcomes'

# bench
complete -c txpart -n '__txpart_verb_is bench' -l connect -x -d 'server endpoint'
complete -c txpart -n '__txpart_verb_is bench' -l server-key -r -F -d 'server CURVE public key: Z85 or a .key file'
complete -c txpart -n '__txpart_verb_is bench' -l curve-secret -r -F -d 'client NAME.secret file'
complete -c txpart -n '__txpart_verb_is bench' -l timeout -x -d 'milliseconds to wait for each reply'
complete -c txpart -n '__txpart_verb_is bench' -l retries -x -d 'resends of an unanswered status request'
complete -c txpart -n '__txpart_verb_is bench' -l clients -x -d 'concurrent clients, one put in flight each'
complete -c txpart -n '__txpart_verb_is bench' -l duration -x -d 'seconds to run'
complete -c txpart -n '__txpart_verb_is bench' -l keys -x -d 'distinct keys'
complete -c txpart -n '__txpart_verb_is bench' -l value-size -x -d 'bytes per value'
complete -c txpart -n '__txpart_verb_is bench' -l ack -x -a 'none local received:1 flushed:1 applied:1' -d 'ack level on top of the group\'s'

# failpoints
complete -c txpart -n '__txpart_at failpoints 0' -f -d 'takes no arguments'
