# Turns the Markdown of docs/ into man(7) source, so `man tend` says what the
# pages say (cmake/man_page.sh feeds it the pages). It knows only what those
# pages use: headings, paragraphs, one level of nested lists, tables, indented
# and fenced code, `code`, **bold** and [links](target). POSIX awk (mawk).
#
# A page's "# Title" becomes a section (.SH), "##"/"###" a subsection (.SS);
# a table row becomes a tagged paragraph: its first cell is the tag, the other
# cells the text, each after its column's header when there are more than two.
# Lines between "<!-- BEGIN" and "<!-- END" markers are replaced by the file
# named in the variable `replace_with`, as preformatted text (the generated
# `tend --help`, taken from the binary itself rather than from the page).

function roff_escape(text) {
    gsub(/\\/, "\\e", text)
    return text
}

# A line of roff text must not start with a control character.
function protect_start(text) {
    if (text ~ /^[.']/) return "\\&" text
    return text
}

function inline(text,    out, rest, tick, code, link_start, finish_at, paren, label, i) {
    out = ""
    text = roff_escape(text)
    # [label](target) -> label
    while ((link_start = index(text, "](")) > 0) {
        label = substr(text, 1, link_start - 1)
        rest = substr(text, link_start + 2)
        finish_at = index(rest, ")")
        if (finish_at == 0) break
        # The label starts at the last "[" before "](".
        paren = label
        tick = 0
        for (i = length(paren); i > 0; i--) if (substr(paren, i, 1) == "[") { tick = i; break }
        if (tick == 0) break
        text = substr(label, 1, tick - 1) substr(label, tick + 1) substr(rest, finish_at + 1)
    }
    # `code` spans: bold, with real minus signs for options.
    while ((tick = index(text, "`")) > 0) {
        rest = substr(text, tick + 1)
        finish_at = index(rest, "`")
        if (finish_at == 0) break
        code = substr(rest, 1, finish_at - 1)
        gsub(/-/, "\\-", code)
        out = out bold(substr(text, 1, tick - 1)) "\\fB" code "\\fR"
        text = substr(rest, finish_at + 1)
    }
    return out bold(text)
}

function bold(text,    start, rest, finish_at) {
    while ((start = index(text, "**")) > 0) {
        rest = substr(text, start + 2)
        finish_at = index(rest, "**")
        if (finish_at == 0) break
        text = substr(text, 1, start - 1) "\\fB" substr(rest, 1, finish_at - 1) "\\fR" substr(rest, finish_at + 2)
    }
    return text
}

# Text is gathered a paragraph at a time, so a `code span` may wrap.
function flush() {
    if (para != "") print protect_start(inline(para))
    para = ""
}

function add_text(text) {
    para = para (para == "" ? "" : " ") text
}

function end_nested() {
    if (nested) { print ".RE"; nested = 0 }
}

function end_list() {
    flush()
    end_nested()
    in_list = 0
}

function trim(text) {
    sub(/^[ \t]+/, "", text)
    sub(/[ \t]+$/, "", text)
    return text
}

function table_row(line,    cells, n, i, body) {
    flush()
    gsub(/\\\|/, "\001", line)
    sub(/^[ \t]*\|/, "", line)
    sub(/\|[ \t]*$/, "", line)
    n = split(line, cells, "|")
    for (i = 1; i <= n; i++) { cells[i] = trim(cells[i]); gsub(/\001/, "|", cells[i]) }
    if (cells[1] ~ /^:?-+:?$/) return
    if (!table_header_seen) {
        table_header_seen = 1
        table_columns = n
        for (i = 1; i <= n; i++) header[i] = cells[i]
        return
    }
    print ".TP"
    print protect_start(cells[1] == "" ? "\\&" : inline(cells[1]))
    body = ""
    for (i = 2; i <= n; i++) {
        if (cells[i] == "" || cells[i] == "-") continue
        if (n > 2 && i > 2) body = body (body == "" ? "" : "; ") inline(header[i]) ": " inline(cells[i])
        else if (n > 2) body = body (body == "" ? "" : "; ") inline(cells[i])
        else body = inline(cells[i])
    }
    print protect_start(body == "" ? "\\&" : body)
}

function preformatted(line) {
    print protect_start(roff_escape(line))
}

BEGIN { in_code = 0; in_fence = 0; in_list = 0; nested = 0; in_table = 0; blank = 1; skipping = 0 }

# The generated block of a page: the live text instead of the copy.
/^<!-- BEGIN/ {
    skipping = 1
    flush()
    if (replace_with != "") {
        end_list()
        print ".PP"
        print ".nf"
        while ((getline generated < replace_with) > 0) preformatted(generated)
        close(replace_with)
        print ".fi"
    }
    next
}
/^<!-- END/ { skipping = 0; blank = 1; next }
skipping { next }
/^<!--/ { next }

# Blocks that end a paragraph.
/^[ \t]*$/ || /^[ \t]*```/ || /^[ \t]*\|/ || /^#+ / || /^ *([-*]|[0-9]+\.) / { flush() }

in_fence {
    if ($0 ~ /^[ \t]*```/) { print ".fi"; print ".RE"; in_fence = 0; blank = 1; next }
    preformatted($0)
    next
}
/^[ \t]*```/ {
    end_list()
    print ".PP"; print ".RS 4"; print ".nf"
    in_fence = 1
    next
}

in_code {
    if ($0 ~ /^    / || $0 ~ /^[ \t]*$/) {
        if ($0 ~ /^[ \t]*$/) { pending_blank_lines++; next }
        while (pending_blank_lines > 0) { print ""; pending_blank_lines-- }
        preformatted(substr($0, 5))
        next
    }
    print ".fi"; print ".RE"
    in_code = 0
    blank = 1
}

/^[ \t]*$/ {
    if (in_table) { in_table = 0 }
    blank = 1
    next
}

/^[ \t]*\|/ {
    if (!in_table) {
        end_list()
        in_table = 1
        table_header_seen = 0
        print ".PP"
    }
    table_row($0)
    blank = 0
    next
}

/^#+ / {
    end_list()
    level = index($0, " ") - 1
    title = substr($0, level + 2)
    gsub(/`/, "", title)
    if (level == 1) print ".SH " toupper(title)
    else print ".SS " title
    blank = 1
    next
}

# Indented code: four blanks after a blank line, outside a list item's text.
blank && /^    / && !(in_list && $0 ~ /^ +([-*]|[0-9]+\.) /) {
    end_list()
    print ".PP"; print ".RS 4"; print ".nf"
    in_code = 1
    pending_blank_lines = 0
    preformatted(substr($0, 5))
    next
}

/^ *([-*]|[0-9]+\.) / {
    match($0, /^ */)
    indent = RLENGTH
    line = substr($0, indent + 1)
    marker = substr(line, 1, index(line, " ") - 1)
    line = substr(line, index(line, " ") + 1)
    if (indent > 0 && in_list) {
        if (!nested) { print ".RS 4"; nested = 1 }
    } else {
        end_nested()
    }
    in_list = 1
    if (marker ~ /^[0-9]/) print ".IP " marker " 4"
    else print ".IP \\(bu 2"
    add_text(line)
    blank = 0
    next
}

{
    match($0, /^ */)
    indent = RLENGTH
    line = substr($0, indent + 1)
    if (blank) {
        if (in_list && indent > 0) {
            # Another paragraph of the same list item.
            print ".IP"
        } else {
            end_list()
            print ".PP"
        }
    }
    add_text(line)
    blank = 0
}

END {
    flush()
    if (in_code || in_fence) { print ".fi"; print ".RE" }
    end_list()
}
