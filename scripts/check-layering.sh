#!/bin/sh
# Module boundaries of teai, checked on every #include of src/, include/ and
# bench/ (tests/ may include anything: they are white-box).
#
#   scripts/check-layering.sh [ROOT]              check the tree at ROOT (default: this one)
#   scripts/check-layering.sh --self-test [ROOT]  check that the check works: bad includes
#                                                 injected into a copy of ROOT are each named
#
# A module is a folder src/M (its headers are named "M/header.h", src/ being on
# every module's include path) plus, for base and the engine, include/teai/.
# Rules, each printed as "FILE:LINE: ... [rule NAME]":
#   private-header    a file outside module M includes one of M's private
#                     headers (every header not in M's public list below);
#   dependency-order  a module includes a module it may not depend on: the
#                     order is cli -> bench/report/server/eval/train/remote ->
#                     backends/results/analysis/plot/sys -> engine -> base,
#                     and nothing points back up (table below; within a layer
#                     only the pairs listed);
#   public-header     a module's public header includes a private one (every
#                     includer would get it);
#   relative-include  an include climbs out of its folder ("../x.h");
#   unknown-module    a folder src/M that the tables below do not know.
# Exit status: 0 when the tree keeps every rule, 1 when it breaks one, 2 on a
# usage error.
set -u

self_test=0
if [ "${1:-}" = "--self-test" ]; then
    self_test=1
    shift
fi
root=${1:-"$(dirname "$0")/.."}
if [ ! -d "$root/src" ]; then
    echo "check-layering: $root has no src/ folder" >&2
    exit 2
fi

check() (
    cd "$1" || exit 2
    find src include bench -type f \( -name '*.c' -o -name '*.h' \) 2>/dev/null | LC_ALL=C sort |
        awk '
BEGIN {
    # Modules a module may include (the whole chain below it, not only the
    # next step). cli and the benchmark programs of bench/ may include any
    # module, through its public headers only.
    deps["base"] = ""
    deps["engine"] = "base"
    deps["sys"] = "engine base"
    deps["results"] = "engine base"
    deps["analysis"] = "results engine base"
    deps["plot"] = "analysis results engine base"
    deps["backends"] = "sys engine base"
    deps["server"] = "results sys engine base"
    deps["eval"] = "backends analysis results sys engine base"
    deps["train"] = "sys engine base"
    deps["bench"] = "backends analysis results sys engine base"
    deps["remote"] = "results sys engine base"
    deps["load"] = "backends analysis results sys engine base"
    deps["report"] = "plot analysis results sys engine base"
    deps["cli"] = "bench report server eval train remote load backends analysis results plot sys engine base"
    deps["programs"] = deps["cli"]

    # Public headers, as included. Every other header of a module is private to it.
    pub["base"] = "base/base.h base/proc.h base/threadpool.h teai/status.h"
    pub["engine"] = "teai/engine.h engine/tools.h"
    pub["sys"] = "sys/sys.h sys/sensors.h"
    pub["results"] = "results/results.h"
    pub["analysis"] = "analysis/analysis.h analysis/serving.h"
    pub["plot"] = "plot/chart.h plot/figures.h"
    pub["backends"] = "backends/backend.h backends/sse.h"
    pub["server"] = "server/server.h"
    pub["eval"] = "eval/eval.h eval/ppl.h eval/task.h"
    pub["train"] = "train/train.h train/gemm.h"
    pub["bench"] = "bench/bench.h"
    pub["report"] = "report/report.h"
    pub["remote"] = "remote/remote.h"
    pub["load"] = "load/load.h"
    pub["cli"] = ""

    for (m in pub) {
        n = split(pub[m], h, " ")
        for (k = 1; k <= n; k++) is_pub[h[k]] = m
    }
    bad = 0
    nincl = 0
}

function fail(file, line, msg, rule) {
    printf "%s:%d: %s [rule %s]\n", file, line, msg, rule
    bad++
    bad_file[file] = 1
}

function allowed(m, o,    n, d, k) {
    n = split(deps[m], d, " ")
    for (k = 1; k <= n; k++)
        if (d[k] == o) return 1
    return 0
}

function pretty(list) {
    gsub(/ /, ", ", list)
    return list == "" ? "none" : list
}

# The module a file belongs to, "" when unknown.
function module_of(path,    h, part) {
    if (path ~ /^include\/teai\//) {
        h = substr(path, 9)
        return h in is_pub ? is_pub[h] : "engine"
    }
    if (path ~ /^bench\//) return "programs"
    split(path, part, "/")
    return part[2]
}

# The module an include names: the one whose folder holds the header; ""
# for a header outside teai (<sys/stat.h> is not module sys).
function owner_of(target,    part) {
    if (target ~ /^teai\//)
        return ("include/" target) in exists ? (target in is_pub ? is_pub[target] : "engine") : ""
    if (!(("src/" target) in exists)) return ""
    split(target, part, "/")
    return part[1]
}

{
    files[++nfiles] = $0
    exists[$0] = 1
}

END {
    for (i = 1; i <= nfiles; i++) check_file(files[i])
    nbad = 0
    for (f in bad_file) nbad++
    if (bad) {
        printf "check-layering: %d violation(s) in %d file(s) (rules: scripts/check-layering.sh)\n", bad, nbad > "/dev/stderr"
        exit 1
    }
    printf "check-layering: %d files, %d includes: module boundaries kept\n", nfiles, nincl
}

function check_file(file,    m, inc_path, public_header, lineno, line, t, angle, e, o) {
    m = module_of(file)
    if (!(m in deps)) {
        if (!(m in warned))
            fail(file, 1, "module " m " (src/" m "/) is not in the tables of scripts/check-layering.sh: give it its public headers and the modules it may include", "unknown-module")
        warned[m] = 1
        return
    }
    inc_path = file
    sub(/^src\//, "", inc_path)
    sub(/^include\//, "", inc_path)
    public_header = file ~ /\.h$/ && (inc_path in is_pub)
    lineno = 0
    while ((getline line < file) > 0) {
        lineno++
        if (line !~ /^[ \t]*#[ \t]*include[ \t]*["<]/) continue
        t = line
        sub(/^[ \t]*#[ \t]*include[ \t]*/, "", t)
        angle = substr(t, 1, 1) == "<"
        t = substr(t, 2)
        e = index(t, angle ? ">" : "\"")
        if (e == 0) continue
        t = substr(t, 1, e - 1)
        nincl++
        if (t ~ /^\.\.\// || t ~ /\/\.\.\//) {
            fail(file, lineno, "#include \"" t "\" climbs out of its folder: name it \"module/header.h\"", "relative-include")
            continue
        }
        o = owner_of(t)
        if (o == "") {
            # a bare name is a header of the file s own folder (or outside teai)
            continue
        }
        if (o != m) {
            if (!allowed(m, o))
                fail(file, lineno, "#include \"" t "\": module " m " may not include module " o " (" m " may include: " pretty(deps[m]) ")", "dependency-order")
            if (!(t in is_pub))
                fail(file, lineno, "#include \"" t "\": a private header of module " o " (its public headers: " pretty(pub[o]) ")", "private-header")
        } else if (public_header && !(t in is_pub)) {
            fail(file, lineno, "#include \"" t "\": the public header " inc_path " includes a private header of its module, so every includer gets it", "public-header")
        }
    }
    close(file)
}'
)

if [ "$self_test" = 0 ]; then
    check "$root"
    exit $?
fi

# ---- self-test: a copy of the tree with one bad include per rule --------------
tmp=$(mktemp -d "${TMPDIR:-/tmp}/check-layering.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT INT TERM
for d in src include bench; do
    if [ -d "$root/$d" ]; then cp -R "$root/$d" "$tmp/" || exit 2; fi
done
fails=0
expected=""
# inject FILE TEXT RULE...: appends the line TEXT to FILE and expects
# "FILE:LINE:" reported under each RULE
inject() {
    f=$1
    text=$2
    shift 2
    if [ ! -f "$tmp/$f" ]; then
        echo "self-test: $f is missing from the tree" >&2
        fails=$((fails + 1))
        return
    fi
    printf '%s\n' "$text" >>"$tmp/$f"
    n=$(wc -l <"$tmp/$f" | tr -d ' ')
    for rule in "$@"; do expected="$expected $f:$n:$rule"; done
}
first() { (cd "$tmp" && ls "$1"/*."$2" 2>/dev/null | head -n 1); }

inject src/cli/cmd_model.c '#include "engine/gguf.h"' private-header
inject "$(first src/results c)" '#include "backends/backend.h"' dependency-order
inject "$(first src/engine c)" '#include "cli/cli.h"' dependency-order private-header
inject "$(first src/base c)" '#include "teai/engine.h"' dependency-order
inject "$(first src/sys c)" '#include <results/results.h>' dependency-order
inject "$(first src/backends c)" '#   include <engine/model.h>' private-header
inject src/results/results.h '#include "results/results_impl.h"' public-header
inject "$(first src/eval c)" '#include "../cli/cli.h"' relative-include
mkdir -p "$tmp/src/newmod" && : >"$tmp/src/newmod/x.c"
expected="$expected src/newmod/x.c:1:unknown-module"

out=$(check "$tmp" 2>&1)
rc=$?
if [ "$rc" != 1 ]; then
    echo "self-test: the check exited $rc on the injected includes, not 1" >&2
    fails=$((fails + 1))
fi
for e in $expected; do
    loc=${e%:*}
    rule=${e##*:}
    if printf '%s\n' "$out" | grep -F -- "$loc: " | grep -F -q -- "[rule $rule]"; then
        echo "self-test: ok    $loc [rule $rule]"
    else
        echo "self-test: MISSED $loc [rule $rule]" >&2
        fails=$((fails + 1))
    fi
done
if [ "$fails" != 0 ]; then
    echo "self-test: $fails failure(s); the check printed:" >&2
    printf '%s\n' "$out" >&2
    exit 1
fi
echo "self-test: every injected include was named with its rule"
exit 0
