# bash completion for txpart(1), shardkit's transaction participant.
# Install as /usr/share/bash-completion/completions/txpart, or source it.
#
# The verbs and each verb's flags mirror `txpart --help` and
# `txpart VERB --help`; tests/integration/completions.bats fails when they
# drift apart. Keep one `VERB) flags=...` line per verb.

# Sets COMPREPLY to the words of the list $1 that start with $2.
_txpart_words() {
    mapfile -t COMPREPLY < <(compgen -W "$1" -- "$2")
}

# Sets COMPREPLY to the file names that start with $1 (spaces kept).
_txpart_files() {
    compopt -o filenames 2>/dev/null
    mapfile -t COMPREPLY < <(compgen -f -- "$1")
}

# Sets COMPREPLY to the directory names that start with $1.
_txpart_dirs() {
    compopt -o filenames 2>/dev/null
    mapfile -t COMPREPLY < <(compgen -d -- "$1")
}

_txpart() {
    local verbs='serve get put del scan prepared resolve status bench failpoints'
    local common='-h --help --json --log-level'
    # Flags that take a value, as the next word or after '='.
    local valued=' --log-level --data --listen --advertise --curve-secret --allow --peer-key --inquire-initial --inquire-max --snapshot-bytes --segment-bytes --ack-timeout --connect --server-key --timeout --retries --prefix --limit --min-lsn --max-staleness --ack --clients --duration --keys --value-size '

    # With '=' in COMP_WORDBREAKS, bash splits "--flag=value" into three
    # words; join them again so that words[] holds what txpart will see.
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
            _txpart_words '-h --help --version' "$cur"
        else
            _txpart_words "$verbs" "$cur"
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
            --log-level) _txpart_words 'error warn info debug' "$value" ;;
            --ack) _txpart_words 'none local received:1 flushed:1 applied:1' "$value" ;;
            --data) _txpart_dirs "$value" ;;
            --curve-secret | --server-key | --peer-key | --allow)
                _txpart_files "$value"
                ;;
            *) COMPREPLY=() ;; # numbers, endpoints, keys: nothing to offer
        esac
        if [[ -n $prefix ]]; then
            COMPREPLY=("${COMPREPLY[@]/#/$prefix}")
        fi
        return 0
    fi

    local flags
    case $verb in
        serve) flags='--data --listen --advertise --curve-secret --allow --insecure --peer-key --inquire-initial --inquire-max --snapshot-bytes --segment-bytes --standby --ack-timeout' ;;
        get) flags='--connect --server-key --curve-secret --timeout --retries --min-lsn --max-staleness' ;;
        put) flags='--connect --server-key --curve-secret --timeout --retries --ack' ;;
        del) flags='--connect --server-key --curve-secret --timeout --retries --ack' ;;
        scan) flags='--connect --server-key --curve-secret --timeout --retries --prefix --limit --min-lsn --max-staleness' ;;
        prepared) flags='--connect --server-key --curve-secret --timeout --retries' ;;
        resolve) flags='--connect --server-key --curve-secret --timeout --retries --commit --abort' ;;
        status) flags='--connect --server-key --curve-secret --timeout --retries --locks --heuristics' ;;
        bench) flags='--connect --server-key --curve-secret --timeout --retries --clients --duration --keys --value-size --ack' ;;
        failpoints) flags='' ;;
        *) return 0 ;;
    esac
    if [[ $cur == -?* ]]; then
        _txpart_words "$flags $common" "$cur"
        return 0
    fi

    # Positional arguments before the cursor, skipping flags and their values.
    local -a args=()
    for ((i = 2; i < cword; i++)); do
        word=${words[i]}
        if [[ $word == -?* ]]; then
            [[ $word != *=* && $valued == *" $word "* ]] && ((i++))
        else
            args+=("$word")
        fi
    done
    local n=${#args[@]}
    case $verb in
        put)
            # The value may come from stdin.
            ((n == 1)) && _txpart_words '-' "$cur"
            ;;
    esac
    return 0
}

complete -F _txpart txpart
