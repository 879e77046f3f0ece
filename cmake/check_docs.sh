#!/bin/sh
# The documentation's promises, checked against the binary and the sources:
#   check_docs.sh names TEND MAN SOURCE_DIR
#       every option and TEND_* variable `tend --help` and `tend ctl --help`
#       print, every file a service dir may hold (the names the parser reads,
#       src/config/service_config.cpp) and every applet `tend compat install`
#       links appears in docs/ and in the manual page MAN.
#   check_docs.sh links SOURCE_DIR
#       every relative Markdown link of README.md, docker/README.md and docs/
#       names a file that exists, and its #anchor a heading of that file.
#   check_docs.sh tests SOURCE_DIR
#       every tests/integration/test_*.cpp names, in its first line, the
#       pages (and headings) of docs/ whose promises it proves.
# Each problem is one line naming the file and what is missing; exit 1 if any.
# TEND_EMULATOR (optional) runs a cross-compiled tend.
set -eu
LC_ALL=C
export LC_ALL
problems=0
problem() { echo "$*" >&2; problems=$((problems + 1)); }

# `name` in the text, not as part of a longer name: --log-prefix does not
# count as --log-prefix-x, TEND_AS_ME not as TEND_AS_MEX.
mentions() {  # mentions NAME FILE...
    name=$1; shift
    pattern=$(printf '%s' "$name" | sed 's/[].[*^$\/]/\\&/g')
    grep -qE -- "(^|[^A-Za-z0-9_-])$pattern(\$|[^A-Za-z0-9_-])" "$@"
}

# The man page's text as a reader sees it: \- is -, fonts are gone.
man_text() { sed 's/\\-/-/g; s/\\f[BIRP]//g; s/\\e/\\/g; s/\\&//g' "$1"; }

service_files() {  # the file names src/config/service_config.cpp reads
    grep -oE '(read_value|read_text|read_envdir|check_script|exists|file|Flag\{|/) *\(? *"[a-z][a-z0-9-]*"' \
        "$1/src/config/service_config.cpp" | grep -oE '"[a-z][a-z0-9-]*"' | tr -d '"' | sort -u
    # s6-style lists of names: {"primary", "restart", ...}
    grep -oE '\{"[a-z][a-z0-9-]*"(, *"[a-z][a-z0-9-]*")+\}' "$1/src/config/service_config.cpp" |
        grep -oE '"[a-z][a-z0-9-]*"' | tr -d '"' | sort -u
}

names() {
    tend=$1 man=$2 source=$3
    docs=$source/docs
    [ -f "$man" ] || { echo "$man: missing (the build makes it: cmake --build build)" >&2; exit 1; }
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    man_text "$man" >"$work/man"
    ${TEND_EMULATOR:-} "$tend" --help >"$work/help-main"
    ${TEND_EMULATOR:-} "$tend" ctl --help >"$work/help"
    cat "$work/help-main" >>"$work/help"
    mkdir "$work/root"
    ${TEND_EMULATOR:-} "$tend" compat install "$work/root" >/dev/null

    grep -oE -- '--[a-z][a-z0-9-]*[a-z0-9]' "$work/help" | sort -u >"$work/options"
    grep -oE 'TEND_[A-Z0-9_]*[A-Z0-9]' "$work/help" | sort -u >"$work/variables"
    service_files "$source" | sort -u >"$work/files"
    ls "$work/root/command" | sort -u >"$work/applets"

    # A list that comes out short means this script no longer reads its source.
    for list in options:10 variables:10 files:20 applets:5; do
        count=$(wc -l <"$work/${list%%:*}")
        [ "$count" -ge "${list##*:}" ] || problem "found only $count ${list%%:*}: check_docs.sh no longer reads them right"
    done
    # --help ends by saying where the documentation is.
    grep -v '^[[:space:]]*$' "$work/help-main" | tail -n 1 | grep -q 'man 8 tend' ||
        problem "tend --help: its last line does not say where the documentation is (man 8 tend, docs/)"
    grep -qx run "$work/files" && grep -qx user "$work/files" ||
        problem "the service-dir files read from service_config.cpp lack run or user: check_docs.sh no longer reads them right"

    for kind in options variables files applets; do
        while read -r name; do
            case $kind in
            files) where="\`$name\`|\`$name/\`" ;;
            *) where=$name ;;
            esac
            found_docs=no found_man=no
            for form in $(printf '%s' "$where" | tr '|' ' '); do
                mentions "$form" "$docs"/*.md && found_docs=yes
                mentions "$(printf '%s' "$form" | tr -d '`')" "$work/man" && found_man=yes
            done
            [ $found_docs = yes ] || problem "docs/: no page mentions the $kind entry $where"
            [ $found_man = yes ] || problem "$man: the manual page does not mention the $kind entry $name"
        done <"$work/$kind"
        echo "checked $(wc -l <"$work/$kind") $kind: $(tr '\n' ' ' <"$work/$kind")"
    done
}

# GitHub's anchor of a heading: lower case, punctuation dropped, blanks to -.
anchors() {
    grep -E '^#{1,6} ' "$1" | sed -E 's/^#+ +//' | tr 'A-Z' 'a-z' |
        sed -E 's/[^a-z0-9 _-]//g; s/ /-/g'
}

links() {
    source=$1
    cd "$source"
    for page in README.md docker/README.md docs/*.md; do
        [ -f "$page" ] || continue
        dir=$(dirname "$page")
        # ](target) of inline links, outside code spans and blocks.
        grep -n -oE '\]\([^) ]+\)' "$page" | while IFS= read -r hit; do
            line=${hit%%:*}
            target=${hit#*:](}
            target=${target%)}
            case $target in
            http://* | https://* | mailto:*) continue ;;
            esac
            file=${target%%#*}
            anchor=
            case $target in *'#'*) anchor=${target#*#} ;; esac
            if [ -z "$file" ]; then
                resolved=$page
            else
                resolved=$dir/$file
            fi
            if [ ! -e "$resolved" ]; then
                echo "$page:$line: links to $target, but $(realpath -m --relative-to=. "$resolved") does not exist"
                continue
            fi
            if [ -n "$anchor" ] && [ -f "$resolved" ] && ! anchors "$resolved" | grep -qxF -- "$anchor"; then
                echo "$page:$line: links to $target, but $(realpath -m --relative-to=. "$resolved") has no heading with the anchor #$anchor"
            fi
        done
    done >"${TMPDIR:-/tmp}/tend-doc-links.$$"
    if [ -s "${TMPDIR:-/tmp}/tend-doc-links.$$" ]; then
        cat "${TMPDIR:-/tmp}/tend-doc-links.$$" >&2
        missing=$(grep -o 'but [^ ]* does not exist' "${TMPDIR:-/tmp}/tend-doc-links.$$" | sort -u | sed 's/but \(.*\) does not exist/\1/' | tr '\n' ' ')
        [ -z "$missing" ] || echo "pages linked but missing: $missing" >&2
        problems=$(wc -l <"${TMPDIR:-/tmp}/tend-doc-links.$$")
    fi
    rm -f "${TMPDIR:-/tmp}/tend-doc-links.$$"
    echo "checked the links of README.md, docker/README.md and docs/"
}

# Each integration test file opens with the pages whose promises it proves:
#   // Proves: docs/behaviour.md#exit-codes, docs/logs.md
tests() {
    source=$1
    cd "$source"
    count=0
    for test in tests/integration/test_*.cpp; do
        count=$((count + 1))
        first=$(head -n 1 "$test")
        case $first in
        '// Proves: docs/'*) ;;
        *) problem "$test: its first line does not name the docs page it proves (// Proves: docs/PAGE.md#anchor, ...)"; continue ;;
        esac
        for target in $(printf '%s\n' "$first" | grep -oE 'docs/[A-Za-z0-9_.-]+\.md(#[A-Za-z0-9_-]+)?'); do
            file=${target%%#*}
            if [ ! -f "$file" ]; then
                problem "$test: names $target, but $file does not exist"
            elif [ "$file" != "$target" ] && ! anchors "$file" | grep -qxF -- "${target#*#}"; then
                problem "$test: names $target, but $file has no heading with the anchor #${target#*#}"
            fi
        done
    done
    echo "checked the first line of $count integration test files"
}

mode=${1:-}
shift || true
case $mode in
names) names "$@" ;;
links) links "$@" ;;
tests) tests "$@" ;;
*) echo "usage: $0 names TEND MAN SOURCE_DIR | links SOURCE_DIR | tests SOURCE_DIR" >&2; exit 2 ;;
esac
if [ "$problems" -gt 0 ]; then
    echo "$problems problem(s) in the documentation" >&2
    exit 1
fi
