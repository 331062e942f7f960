# fish completion for replicad(8), shardkit's replication daemon.
# Install as /usr/share/fish/vendor_completions.d/replicad.fish.
#
# The verbs and each verb's flags mirror `replicad --help` and
# `replicad VERB --help`; tests/integration/completions.bats fails when they
# drift apart. Every verb-specific line names its verb in its condition.

# True before the verb has been typed.
function __replicad_needs_verb
    test (count (commandline -opc)) -eq 1
end

# True when the verb (always the first argument) is $argv[1].
function __replicad_verb_is
    set -l tokens (commandline -opc)
    test (count $tokens) -ge 2; and test "$tokens[2]" = "$argv[1]"
end

complete -c replicad -f

# Before the verb.
complete -c replicad -n __replicad_needs_verb -s h -l help -d 'show help'
complete -c replicad -n __replicad_needs_verb -l version -d 'print the version'
complete -c replicad -n __replicad_needs_verb -a serve -d 'replicate the log of one data directory'
complete -c replicad -n __replicad_needs_verb -a status -d "print role, epoch and each replica's positions and lag"
complete -c replicad -n __replicad_needs_verb -a promote -d 'make this replica the primary, in a new epoch'
complete -c replicad -n __replicad_needs_verb -a demote -d 'make this primary a replica'
complete -c replicad -n __replicad_needs_verb -a switchover -d 'hand the primary role to a caught-up replica'
complete -c replicad -n __replicad_needs_verb -a bench -d 'measure put throughput and latency at each ack level'

# Flags of every verb.
complete -c replicad -n 'not __replicad_needs_verb' -s h -l help -d 'show help'
complete -c replicad -n 'not __replicad_needs_verb' -l json -d 'print JSON Lines instead of TSV'
complete -c replicad -n 'not __replicad_needs_verb' -l log-level -x -a 'error warn info debug' -d 'log level'

# serve
complete -c replicad -n '__replicad_verb_is serve' -l data -x -a '(__fish_complete_directories)' -d 'data directory its writer serves'
complete -c replicad -n '__replicad_verb_is serve' -l listen -x -d 'endpoint to bind for members and operators'
complete -c replicad -n '__replicad_verb_is serve' -l name -x -d "this member's name"
complete -c replicad -n '__replicad_verb_is serve' -l advertise -x -d 'endpoint other members reach this one at'
complete -c replicad -n '__replicad_verb_is serve' -l follow -x -d 'replicad endpoint of the primary to replicate from'
complete -c replicad -n '__replicad_verb_is serve' -l peers -x -d "every other member's replicad endpoint, comma-separated"
complete -c replicad -n '__replicad_verb_is serve' -l ack -x -a 'none local received:1 flushed:1 applied:1' -d 'ack level'
complete -c replicad -n '__replicad_verb_is serve' -l auto-failover -d 'elect a new primary by majority vote'
complete -c replicad -n '__replicad_verb_is serve' -l heartbeat -x -d 'milliseconds between heartbeats'
complete -c replicad -n '__replicad_verb_is serve' -l lease -x -d 'pause writes when the ack level was not met for this long'
complete -c replicad -n '__replicad_verb_is serve' -l election-timeout -x -d 'milliseconds without a primary before an election'
complete -c replicad -n '__replicad_verb_is serve' -l switchover-timeout -x -d 'milliseconds a switchover waits for the target'
complete -c replicad -n '__replicad_verb_is serve' -l resync-interval -x -d 'minimum milliseconds between full resyncs of one replica'
complete -c replicad -n '__replicad_verb_is serve' -l retain-bytes -x -d 'most bytes of log kept for lagging replicas'
complete -c replicad -n '__replicad_verb_is serve' -l retain-age -x -d 'oldest segment kept for lagging replicas, in seconds'
complete -c replicad -n '__replicad_verb_is serve' -l curve-secret -r -F -d 'serve with CURVE using this NAME.secret file'
complete -c replicad -n '__replicad_verb_is serve' -l allow -r -F -d 'client public keys allowed with CURVE'
complete -c replicad -n '__replicad_verb_is serve' -l insecure -d 'allow plaintext on a non-loopback address'
complete -c replicad -n '__replicad_verb_is serve' -l peer-key -r -F -d 'CURVE public key of the other members'

# status
complete -c replicad -n '__replicad_verb_is status' -l connect -x -d 'replicad serve endpoint'
complete -c replicad -n '__replicad_verb_is status' -l server-key -r -F -d 'server CURVE public key: Z85 or a .key file'
complete -c replicad -n '__replicad_verb_is status' -l curve-secret -r -F -d 'client NAME.secret file'
complete -c replicad -n '__replicad_verb_is status' -l timeout -x -d 'milliseconds to wait for each reply'
complete -c replicad -n '__replicad_verb_is status' -l retries -x -d 'resends of an unanswered request'

# promote
complete -c replicad -n '__replicad_verb_is promote' -l connect -x -d 'replicad serve endpoint'
complete -c replicad -n '__replicad_verb_is promote' -l server-key -r -F -d 'server CURVE public key: Z85 or a .key file'
complete -c replicad -n '__replicad_verb_is promote' -l curve-secret -r -F -d 'client NAME.secret file'
complete -c replicad -n '__replicad_verb_is promote' -l timeout -x -d 'milliseconds to wait for each reply'
complete -c replicad -n '__replicad_verb_is promote' -l retries -x -d 'resends of an unanswered request'
complete -c replicad -n '__replicad_verb_is promote' -l accept-data-loss -d 'promote even if acknowledged writes may be lost'

# demote
complete -c replicad -n '__replicad_verb_is demote' -l connect -x -d 'replicad serve endpoint'
complete -c replicad -n '__replicad_verb_is demote' -l server-key -r -F -d 'server CURVE public key: Z85 or a .key file'
complete -c replicad -n '__replicad_verb_is demote' -l curve-secret -r -F -d 'client NAME.secret file'
complete -c replicad -n '__replicad_verb_is demote' -l timeout -x -d 'milliseconds to wait for each reply'
complete -c replicad -n '__replicad_verb_is demote' -l retries -x -d 'resends of an unanswered request'

# switchover
complete -c replicad -n '__replicad_verb_is switchover' -l connect -x -d 'replicad serve endpoint'
complete -c replicad -n '__replicad_verb_is switchover' -l server-key -r -F -d 'server CURVE public key: Z85 or a .key file'
complete -c replicad -n '__replicad_verb_is switchover' -l curve-secret -r -F -d 'client NAME.secret file'
complete -c replicad -n '__replicad_verb_is switchover' -l timeout -x -d 'milliseconds to wait for each reply'
complete -c replicad -n '__replicad_verb_is switchover' -l retries -x -d 'resends of an unanswered request'
complete -c replicad -n '__replicad_verb_is switchover' -l to -x -d 'member name of the replica to hand over to'

# bench
complete -c replicad -n '__replicad_verb_is bench' -l connect -x -d "client endpoint of the primary's writer"
complete -c replicad -n '__replicad_verb_is bench' -l server-key -r -F -d 'server CURVE public key: Z85 or a .key file'
complete -c replicad -n '__replicad_verb_is bench' -l curve-secret -r -F -d 'client NAME.secret file'
complete -c replicad -n '__replicad_verb_is bench' -l timeout -x -d 'milliseconds to wait for each reply'
complete -c replicad -n '__replicad_verb_is bench' -l retries -x -d 'resends of an unanswered request'
complete -c replicad -n '__replicad_verb_is bench' -l levels -x -d 'comma-separated ack levels to measure'
complete -c replicad -n '__replicad_verb_is bench' -l clients -x -d 'concurrent clients, one put in flight each'
complete -c replicad -n '__replicad_verb_is bench' -l duration -x -d 'seconds per level'
complete -c replicad -n '__replicad_verb_is bench' -l keys -x -d 'distinct keys'
complete -c replicad -n '__replicad_verb_is bench' -l value-size -x -d 'bytes per value'
