# fish completion for ringctl(1), shardkit's placement tool.
# Install as /usr/share/fish/vendor_completions.d/ringctl.fish.
#
# The verbs and each verb's flags mirror `ringctl --help` and
# `ringctl VERB --help`; tests/integration/completions.bats fails when they
# drift apart. Every verb-specific line names its verb in its condition.

# True before the verb has been typed.
function __ringctl_needs_verb
    test (count (commandline -opc)) -eq 1
end

# True when the verb (always the first argument) is $argv[1].
function __ringctl_verb_is
    set -l tokens (commandline -opc)
    test (count $tokens) -ge 2; and test "$tokens[2]" = "$argv[1]"
end

# Prints the verb's positional arguments before the cursor, without flags
# and their values.
function __ringctl_args
    set -l tokens (commandline -opc)
    set -e tokens[1..2]
    set -l skip 0
    for t in $tokens
        if test $skip -eq 1
            set skip 0
            continue
        end
        switch $t
            case --log-level --algorithm --vnodes --hash --table-size -o --output --weight --zone --curve-key --endpoint --format --replicas --load-factor --batch --keys --prefix --sample --listen --curve-secret --allow --connect --server-key --timeout --retries --window
                set skip 1
            case '-?*'
            case '*'
                echo -- $t
        end
    end
end

# True when the verb is $argv[1] and exactly $argv[2] positional arguments
# precede the cursor.
function __ringctl_at
    __ringctl_verb_is $argv[1]; or return 1
    test (count (__ringctl_args)) -eq $argv[2]
end

# The node names of the ring file that is the verb's first argument.
function __ringctl_nodes
    set -l file (__ringctl_args)[1]
    test -f "$file"; and test -r "$file"; or return 0
    awk '$1 == "node" { print $2 }' <$file 2>/dev/null
end

complete -c ringctl -f

# Before the verb.
complete -c ringctl -n __ringctl_needs_verb -s h -l help -d 'show help'
complete -c ringctl -n __ringctl_needs_verb -l version -d 'print the version'
complete -c ringctl -n __ringctl_needs_verb -a new -d 'write an empty ring file'
complete -c ringctl -n __ringctl_needs_verb -a add -d 'add a node to a ring file'
complete -c ringctl -n __ringctl_needs_verb -a remove -d 'remove nodes from a ring file'
complete -c ringctl -n __ringctl_needs_verb -a set -d "change a node's endpoints, weight, zone or key"
complete -c ringctl -n __ringctl_needs_verb -a import -d 'convert a libketama server list to a ring file'
complete -c ringctl -n __ringctl_needs_verb -a show -d 'list nodes with their exact share of the key space'
complete -c ringctl -n __ringctl_needs_verb -a locate -d 'print the node that owns each key'
complete -c ringctl -n __ringctl_needs_verb -a stats -d 'report the load distribution over keys'
complete -c ringctl -n __ringctl_needs_verb -a diff -d 'report what moves between two rings'
complete -c ringctl -n __ringctl_needs_verb -a serve -d 'answer locate requests over ZeroMQ'
complete -c ringctl -n __ringctl_needs_verb -a query -d 'ask a ringctl server to locate keys'
complete -c ringctl -n __ringctl_needs_verb -a keygen -d 'write a CURVE keypair'
complete -c ringctl -n __ringctl_needs_verb -a bench -d 'measure in-process lookup speed per algorithm'

# Flags of every verb.
complete -c ringctl -n 'not __ringctl_needs_verb' -s h -l help -d 'show help'
complete -c ringctl -n 'not __ringctl_needs_verb' -l json -d 'print JSON Lines instead of TSV'
complete -c ringctl -n 'not __ringctl_needs_verb' -l log-level -x -a 'error warn info debug' -d 'log level'

# new
complete -c ringctl -n '__ringctl_verb_is new' -l algorithm -x -a 'ring ketama libmemcached nginx jump maglev rendezvous' -d 'placement algorithm'
complete -c ringctl -n '__ringctl_verb_is new' -l vnodes -x -d 'points per unit of weight (ring)'
complete -c ringctl -n '__ringctl_verb_is new' -l hash -x -a 'xxh3 xxh64' -d 'key hash of native algorithms'
complete -c ringctl -n '__ringctl_verb_is new' -l table-size -x -d 'maglev table size, a prime'
complete -c ringctl -n '__ringctl_verb_is new' -s o -l output -r -F -d 'write FILE atomically instead of stdout'
complete -c ringctl -n '__ringctl_verb_is new' -l force -d 'replace an existing output file'

# add
complete -c ringctl -n '__ringctl_verb_is add' -l weight -x -d 'relative weight, > 0'
complete -c ringctl -n '__ringctl_verb_is add' -l zone -x -d 'failure zone'
complete -c ringctl -n '__ringctl_verb_is add' -l curve-key -r -F -d 'CURVE public key: Z85 or a .key file'
complete -c ringctl -n '__ringctl_at add 0' -F -d 'ring file'

# remove
complete -c ringctl -n '__ringctl_at remove 0' -F -d 'ring file'
complete -c ringctl -n '__ringctl_verb_is remove; and not __ringctl_at remove 0' -a '(__ringctl_nodes)' -d node

# set
complete -c ringctl -n '__ringctl_verb_is set' -l weight -x -d 'relative weight, > 0'
complete -c ringctl -n '__ringctl_verb_is set' -l zone -x -d 'failure zone (empty clears)'
complete -c ringctl -n '__ringctl_verb_is set' -l curve-key -r -F -d 'CURVE public key: Z85 or a .key file (empty clears)'
complete -c ringctl -n '__ringctl_verb_is set' -l endpoint -x -d 'replace the endpoints, primary first'
complete -c ringctl -n '__ringctl_at set 0' -F -d 'ring file'
complete -c ringctl -n '__ringctl_at set 1' -a '(__ringctl_nodes)' -d node

# import
complete -c ringctl -n '__ringctl_verb_is import' -l format -x -a ketama -d 'input format'
complete -c ringctl -n '__ringctl_verb_is import' -l algorithm -x -a 'ketama libmemcached nginx' -d 'algorithm of the new ring'
complete -c ringctl -n '__ringctl_verb_is import' -s o -l output -r -F -d 'write FILE atomically instead of stdout'
complete -c ringctl -n '__ringctl_at import 0' -F -d 'server list'

# show
complete -c ringctl -n '__ringctl_at show 0' -F -d 'ring file'

# locate
complete -c ringctl -n '__ringctl_verb_is locate' -l replicas -x -d 'distinct nodes per key'
complete -c ringctl -n '__ringctl_verb_is locate' -l load-factor -x -d 'bounded loads: at most ceil(C*mean) keys per node'
complete -c ringctl -n '__ringctl_verb_is locate' -l batch -x -d 'keys per bounded-load batch'
complete -c ringctl -n '__ringctl_at locate 0' -F -d 'ring file'

# stats
complete -c ringctl -n '__ringctl_verb_is stats' -l keys -x -d 'generate N keys instead of reading stdin'
complete -c ringctl -n '__ringctl_verb_is stats' -l prefix -x -d 'prefix of generated keys'
complete -c ringctl -n '__ringctl_at stats 0' -F -d 'ring file'

# diff
complete -c ringctl -n '__ringctl_verb_is diff' -l sample -x -d 'sample keys when the answer cannot be exact'
complete -c ringctl -n '__ringctl_at diff 0' -F -d 'old ring file'
complete -c ringctl -n '__ringctl_at diff 1' -F -d 'new ring file'

# serve
complete -c ringctl -n '__ringctl_verb_is serve' -l listen -x -d 'endpoint to bind'
complete -c ringctl -n '__ringctl_verb_is serve' -l curve-secret -r -F -d 'serve with CURVE using this NAME.secret file'
complete -c ringctl -n '__ringctl_verb_is serve' -l allow -r -F -d 'client public keys allowed with CURVE'
complete -c ringctl -n '__ringctl_verb_is serve' -l insecure -d 'allow plaintext on a non-loopback address'
complete -c ringctl -n '__ringctl_at serve 0' -F -d 'ring file'

# query
complete -c ringctl -n '__ringctl_verb_is query' -l connect -x -d 'server endpoint'
complete -c ringctl -n '__ringctl_verb_is query' -l server-key -r -F -d 'server CURVE public key: Z85 or a .key file'
complete -c ringctl -n '__ringctl_verb_is query' -l curve-secret -r -F -d 'client NAME.secret file'
complete -c ringctl -n '__ringctl_verb_is query' -l timeout -x -d 'milliseconds to wait for each reply'
complete -c ringctl -n '__ringctl_verb_is query' -l retries -x -d 'resends of an unanswered batch'
complete -c ringctl -n '__ringctl_verb_is query' -l replicas -x -d 'distinct nodes per key'
complete -c ringctl -n '__ringctl_verb_is query' -l batch -x -d 'keys per request'
complete -c ringctl -n '__ringctl_verb_is query' -l window -x -d 'requests in flight'

# keygen
complete -c ringctl -n '__ringctl_verb_is keygen' -l force -d 'replace an existing NAME.key and NAME.secret'
complete -c ringctl -n '__ringctl_at keygen 0' -F -d 'key pair name'

# bench
complete -c ringctl -n '__ringctl_verb_is bench' -l keys -x -d 'lookups per algorithm'
complete -c ringctl -n '__ringctl_verb_is bench' -l algorithm -x -a 'ring ketama libmemcached nginx jump maglev rendezvous' -d 'bench only this algorithm'
complete -c ringctl -n '__ringctl_at bench 0' -F -d 'ring file'
