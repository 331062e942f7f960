# bash completion for txcoord(1), shardkit's transaction coordinator.
# Install as /usr/share/bash-completion/completions/txcoord, or source it.
#
# The verbs and each verb's flags mirror `txcoord --help` and
# `txcoord VERB --help`; tests/integration/completions.bats fails when they
# drift apart. Keep one `VERB) flags=...` line per verb.

# Sets COMPREPLY to the words of the list $1 that start with $2.
_txcoord_words() {
    mapfile -t COMPREPLY < <(compgen -W "$1" -- "$2")
}

# Sets COMPREPLY to the file names that start with $1 (spaces kept).
_txcoord_files() {
    compopt -o filenames 2>/dev/null
    mapfile -t COMPREPLY < <(compgen -f -- "$1")
}

# Sets COMPREPLY to the directory names that start with $1.
_txcoord_dirs() {
    compopt -o filenames 2>/dev/null
    mapfile -t COMPREPLY < <(compgen -d -- "$1")
}

_txcoord() {
    local verbs='serve submit get outcome status inflight heuristics bench failpoints'
    local common='-h --help --json --log-level'
    # Flags that take a value, as the next word or after '='.
    local valued=' --log-level --data --ring --listen --advertise --curve-secret --allow --vote-timeout --snapshot-bytes --segment-bytes --ack-timeout --connect --server-key --timeout --retries --txid --window --clients --duration --keys --ops-per-tx --shards '

    # With '=' in COMP_WORDBREAKS, bash splits "--flag=value" into three
    # words; join them again so that words[] holds what txcoord will see.
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
            _txcoord_words '-h --help --version' "$cur"
        else
            _txcoord_words "$verbs" "$cur"
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
            --log-level) _txcoord_words 'error warn info debug' "$value" ;;
            --data) _txcoord_dirs "$value" ;;
            --ring | --curve-secret | --server-key | --allow)
                _txcoord_files "$value"
                ;;
            *) COMPREPLY=() ;; # numbers, ids, endpoints: nothing to offer
        esac
        if [[ -n $prefix ]]; then
            COMPREPLY=("${COMPREPLY[@]/#/$prefix}")
        fi
        return 0
    fi

    local flags
    case $verb in
        serve) flags='--data --ring --listen --advertise --curve-secret --allow --insecure --vote-timeout --snapshot-bytes --segment-bytes --standby --ack-timeout' ;;
        submit) flags='--connect --server-key --curve-secret --timeout --retries --txid --window' ;;
        get) flags='--connect --server-key --curve-secret --timeout --retries' ;;
        outcome) flags='--connect --server-key --curve-secret --timeout --retries' ;;
        status) flags='--connect --server-key --curve-secret --timeout --retries' ;;
        inflight) flags='--connect --server-key --curve-secret --timeout --retries' ;;
        heuristics) flags='--connect --server-key --curve-secret --timeout --retries' ;;
        bench) flags='--connect --server-key --curve-secret --timeout --retries --clients --duration --keys --ops-per-tx --shards --ring' ;;
        failpoints) flags='' ;;
        *) return 0 ;;
    esac
    if [[ $cur == -?* ]]; then
        _txcoord_words "$flags $common" "$cur"
        return 0
    fi
    # Positional arguments (keys, a txid) have nothing to offer.
    return 0
}

complete -F _txcoord txcoord
