#!/bin/sh
# The King James Bible as plain text, from Debian's bible-kjv package (public
# domain; scripts/setup.sh installs it): what `make model` trains on and what
# the demo's accuracy figures are measured on.
#
#   scripts/kjv-text.sh TRAIN.txt HELDOUT.txt
#
# Writes each verse on a line of its own (verse numbers dropped) under its
# chapter's heading ("Genesis 1"). The last 5% of the lines (the end of
# Revelation and the books before it) go to HELDOUT.txt, the rest to
# TRAIN.txt: the model never sees the held-out text. Same package, same bytes.
set -eu
if [ $# -ne 2 ]; then
    echo "usage: scripts/kjv-text.sh TRAIN.txt HELDOUT.txt" >&2
    exit 2
fi
if ! command -v bible >/dev/null 2>&1; then
    echo "kjv-text: the 'bible' program is missing (Debian: apt-get install bible-kjv, or make setup)" >&2
    exit 1
fi
tmp=$(mktemp "${TMPDIR:-/tmp}/teai-kjv.XXXXXX")
trap 'rm -f "$tmp" "$tmp.train" "$tmp.held"' EXIT
# `bible` prints "Genesis 1", a blank line, then verses as "  N text" wrapped
# at 80 columns with continuation lines unindented.
bible Gen1:1-Rev22:21 | LC_ALL=C awk '
    /^$/ { blank = 1; next }
    blank && !/^ / { if (v != "") print v; v = ""; print; blank = 0; next }
    /^  [0-9]+ / { if (v != "") print v; sub(/^  [0-9]+ /, ""); v = $0; blank = 0; next }
    { v = v " " $0; blank = 0 }
    END { if (v != "") print v }
' >"$tmp"
n=$(wc -l <"$tmp")
if [ "$n" -lt 30000 ]; then
    echo "kjv-text: 'bible' gave $n lines, expected about 32000" >&2
    exit 1
fi
keep=$((n - n / 20))
head -n "$keep" "$tmp" >"$tmp.train"
tail -n +"$((keep + 1))" "$tmp" >"$tmp.held"
mv "$tmp.train" "$1"
mv "$tmp.held" "$2"
