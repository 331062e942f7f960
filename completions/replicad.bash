# bash completion for replicad(8), shardkit's replication daemon.
# Install as /usr/share/bash-completion/completions/replicad, or source it.
#
# The verbs and each verb's flags mirror `replicad --help` and
# `replicad VERB --help`; tests/integration/completions.bats fails when they
# drift apart. Keep one `VERB) flags=...` line per verb.

# Sets COMPREPLY to the words of the list $1 that start with $2.
_replicad_words() {
    mapfile -t COMPREPLY < <(compgen -W "$1" -- "$2")
}

# Sets COMPREPLY to the file names that start with $1 (spaces kept).
_replicad_files() {
    compopt -o filenames 2>/dev/null
    mapfile -t COMPREPLY < <(compgen -f -- "$1")
}

# Sets COMPREPLY to the directory names that start with $1.
_replicad_dirs() {
    compopt -o filenames 2>/dev/null
    mapfile -t COMPREPLY < <(compgen -d -- "$1")
}

_replicad() {
    local verbs='serve status promote demote switchover bench'
    local common='-h --help --json --log-level'
    # Flags that take a value, as the next word or after '='.
    local valued=' --log-level --data --listen --name --advertise --follow --peers --ack --heartbeat --lease --election-timeout --switchover-timeout --resync-interval --retain-bytes --retain-age --curve-secret --allow --peer-key --connect --server-key --timeout --retries --to --levels --clients --duration --keys --value-size '

    # With '=' in COMP_WORDBREAKS, bash splits "--flag=value" into three
    # words; join them again so that words[] holds what replicad will see.
    local -a words=()
    local i n cword=0 word
    for ((i = 0; i < ${#COMP_WORDS[@]}; i++)); do
        word=${COMP_WORDS[i]}
        n=${#words[@]}
        if ((n > 0)) && { [[ $word == = && ${words[n-1]} == --* && ${words[n-1]} != *=* ]] ||
            [[ ${COMP_WORDS[i-1]} == = && ${words[n-1]} == --*= ]]; }; then
            words[n-1]+=$word
        else
            words+=("$word")
        fi
        ((i == COMP_CWORD)) && cword=$((${#words[@]} - 1))
    done
    local cur=${words[cword]} prev=''
    ((cword > 0)) && prev=${words[cword-1]}

    if ((cword == 1)); then
        if [[ $cur == -* ]]; then
            _replicad_words '-h --help --version' "$cur"
        else
            _replicad_words "$verbs" "$cur"
        fi
        return 0
    fi
    local verb=${words[1]}

    # The value of a flag: as the next word, or after '=' in the same word.
    local flag='' value=$cur prefix=''
    if [[ $cur == --*=* ]]; then
        flag=${cur%%=*}
        value=${cur#*=}
        # Without '=' in COMP_WORDBREAKS, bash replaces the whole word.
        [[ $COMP_WORDBREAKS == *=* ]] || prefix="$flag="
    elif [[ $valued == *" $prev "* ]]; then
        flag=$prev
    fi
    if [[ -n $flag ]]; then
        case $flag in
            --log-level) _replicad_words 'error warn info debug' "$value" ;;
            --ack) _replicad_words 'none local received:1 flushed:1 applied:1' "$value" ;;
            --data) _replicad_dirs "$value" ;;
            --curve-secret | --server-key | --peer-key | --allow)
                _replicad_files "$value"
                ;;
            *) COMPREPLY=() ;; # numbers, endpoints, names: nothing to offer
        esac
        if [[ -n $prefix ]]; then
            COMPREPLY=("${COMPREPLY[@]/#/$prefix}")
        fi
        return 0
    fi

    local flags
    case $verb in
        serve) flags='--data --listen --name --advertise --follow --peers --ack --auto-failover --heartbeat --lease --election-timeout --switchover-timeout --resync-interval --retain-bytes --retain-age --curve-secret --allow --insecure --peer-key' ;;
        status) flags='--connect --server-key --curve-secret --timeout --retries' ;;
        promote) flags='--connect --server-key --curve-secret --timeout --retries --accept-data-loss' ;;
        demote) flags='--connect --server-key --curve-secret --timeout --retries' ;;
        switchover) flags='--connect --server-key --curve-secret --timeout --retries --to' ;;
        bench) flags='--connect --server-key --curve-secret --timeout --retries --levels --clients --duration --keys --value-size' ;;
        *) return 0 ;;
    esac
    if [[ $cur == -?* ]]; then
        _replicad_words "$flags $common" "$cur"
    fi
    # No verb takes positional arguments.
    return 0
}

complete -F _replicad replicad
