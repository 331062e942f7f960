# bash completion for ringctl(1), shardkit's placement tool.
# Install as /usr/share/bash-completion/completions/ringctl, or source it.
#
# The verbs and each verb's flags mirror `ringctl --help` and
# `ringctl VERB --help`; tests/integration/completions.bats fails when they
# drift apart. Keep one `VERB) flags=...` line per verb.

# Node names of ring file $1 (for remove and set).
_ringctl_nodes() {
    [[ -r $1 && -f $1 ]] || return 0
    awk '$1 == "node" { print $2 }' <"$1" 2>/dev/null
}

# Sets COMPREPLY to the words of the list $1 that start with $2.
_ringctl_words() {
    mapfile -t COMPREPLY < <(compgen -W "$1" -- "$2")
}

# Sets COMPREPLY to the file names that start with $1 (spaces kept).
_ringctl_files() {
    compopt -o filenames 2>/dev/null
    mapfile -t COMPREPLY < <(compgen -f -- "$1")
}

_ringctl() {
    local verbs='new add remove set import show locate stats diff serve query keygen bench'
    local common='-h --help --json --log-level'
    local algorithms='ring ketama libmemcached nginx jump maglev rendezvous'
    # Flags that take a value, as the next word or after '='.
    local valued=' --log-level --algorithm --vnodes --hash --table-size -o --output --weight --zone --curve-key --endpoint --format --replicas --load-factor --batch --keys --prefix --sample --listen --curve-secret --allow --connect --server-key --timeout --retries --window '

    # With '=' in COMP_WORDBREAKS, bash splits "--flag=value" into three
    # words; join them again so that words[] holds what ringctl will see.
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
            _ringctl_words '-h --help --version' "$cur"
        else
            _ringctl_words "$verbs" "$cur"
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
            --algorithm)
                if [[ $verb == import ]]; then
                    _ringctl_words 'ketama libmemcached nginx' "$value"
                else
                    _ringctl_words "$algorithms" "$value"
                fi
                ;;
            --hash) _ringctl_words 'xxh3 xxh64' "$value" ;;
            --log-level) _ringctl_words 'error warn info debug' "$value" ;;
            --format) _ringctl_words 'ketama' "$value" ;;
            -o | --output | --curve-secret | --server-key | --curve-key | --allow)
                _ringctl_files "$value"
                ;;
            *) COMPREPLY=() ;; # numbers, names, endpoints: nothing to offer
        esac
        if [[ -n $prefix ]]; then
            COMPREPLY=("${COMPREPLY[@]/#/$prefix}")
        fi
        return 0
    fi

    local flags
    case $verb in
        new) flags='--algorithm --vnodes --hash --table-size -o --output --force' ;;
        add) flags='--weight --zone --curve-key' ;;
        remove) flags='' ;;
        set) flags='--weight --zone --curve-key --endpoint' ;;
        import) flags='--format --algorithm -o --output' ;;
        show) flags='' ;;
        locate) flags='--replicas --load-factor --batch' ;;
        stats) flags='--keys --prefix' ;;
        diff) flags='--sample' ;;
        serve) flags='--listen --curve-secret --allow --insecure' ;;
        query) flags='--connect --server-key --curve-secret --timeout --retries --replicas --batch --window' ;;
        keygen) flags='--force' ;;
        bench) flags='--keys --algorithm' ;;
        *) return 0 ;;
    esac
    if [[ $cur == -?* ]]; then
        _ringctl_words "$flags $common" "$cur"
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
        add | show | locate | stats | serve | bench | import | keygen)
            ((n == 0)) && _ringctl_files "$cur"
            ;;
        diff)
            ((n < 2)) && _ringctl_files "$cur"
            ;;
        remove)
            if ((n == 0)); then _ringctl_files "$cur"; else _ringctl_words "$(_ringctl_nodes "${args[0]}")" "$cur"; fi
            ;;
        set)
            if ((n == 0)); then
                _ringctl_files "$cur"
            elif ((n == 1)); then
                _ringctl_words "$(_ringctl_nodes "${args[0]}")" "$cur"
            fi
            ;;
    esac
    return 0
}

complete -F _ringctl ringctl
