#!/bin/sh
# docs/configuration.md carries `tend --help` between its BEGIN and END
# markers, so the reference of options and TEND_* variables is the binary's
# own text, whatever parser prints it.
# Usage: options_doc.sh TEND DOC --check   fails (naming the fix) when the copy differs
#        options_doc.sh TEND DOC --write   rewrites the copy
# TEND_EMULATOR (optional) runs a cross-compiled tend.
set -eu
tend=$1 doc=$2 mode=$3
[ -f "$doc" ] || { echo "$doc: missing" >&2; exit 1; }
grep -q '^<!-- BEGIN tend --help' "$doc" && grep -q '^<!-- END tend --help' "$doc" || {
    echo "$doc: has no '<!-- BEGIN tend --help' and '<!-- END tend --help' lines to fill" >&2
    exit 1
}
help=$(mktemp) expected=$(mktemp)
trap 'rm -f "$help" "$expected"' EXIT
${TEND_EMULATOR:-} "$tend" --help >"$help"
awk -v help="$help" '
    /^<!-- BEGIN tend --help/ {
        print; print "```text"
        while ((getline line < help) > 0) print line
        print "```"
        skipping = 1; next
    }
    /^<!-- END tend --help/ { skipping = 0 }
    !skipping { print }
' "$doc" >"$expected"
case $mode in
--write)
    cmp -s "$expected" "$doc" || cp "$expected" "$doc"
    ;;
--check)
    if ! cmp -s "$expected" "$doc"; then
        diff -u "$doc" "$expected" >&2 || true
        echo "$doc: its copy of \`tend --help\` differs from what $tend prints." >&2
        echo "Regenerate it with: cmake --build build --target docs" >&2
        exit 1
    fi
    echo "$doc: the copy of tend --help is current"
    ;;
*) echo "usage: $0 TEND DOC --check|--write" >&2; exit 2 ;;
esac
