#!/bin/sh
# teai model info refuses what teai generate refuses: a synthesized model with
# one byte changed in its header (a tensor's type without its offsets, a
# misaligned offset, a shape key) gives exit code 3 (bad input) and the
# reason, from info and from generate alike; the unchanged file gives 0.
set -u
NAME=cli_model_info
. "$(dirname "$0")/lib_cli.sh"

M=$D/tiny.gguf
expect 0 "$T" model synth --shape tiny --seed 5 -o "$M"
expect 0 "$T" model info "$M"
grep -q "architecture:  llama" "$D/out" || fail "model info: architecture"

# byte offset of the first occurrence of string $2 in file $1
pos() { grep -obUa -- "$2" "$1" | head -n 1 | cut -d: -f1; }
# writes the byte with octal value $3 at offset $2 of file $1
poke() { printf "\\$3" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null; }

# both commands refuse file $1 with exit 3 and a message holding $2
refused() {
    for cmd in "model info" "generate -n 1 -m"; do
        expect 3 "$T" $cmd "$1"
        grep -q -- "$2" "$D/err" || fail "$cmd: '$2' not in: $(cat "$D/err")"
        grep -q -- "$1" "$D/err" || fail "$cmd: the file is not named in: $(cat "$D/err")"
    done
}

# A tensor info: u64 name length, name, u32 n_dims (2 here), u64 ne[2],
# u32 type, u64 offset.
Q=blk.0.attn_q.weight
p=$(pos "$M" "$Q")
[ -n "$p" ] || fail "no tensor $Q in the synthesized file"
type_at=$((p + ${#Q} + 4 + 16))
off_at=$((type_at + 4))

# f16 (1) -> f32 (0) without moving the tensors after it: its data overlaps the next
cp "$M" "$D/overlap.gguf"
[ "$(od -An -tu1 -j "$type_at" -N1 "$M" | tr -d ' ')" = 1 ] || fail "$Q is not f16"
poke "$D/overlap.gguf" "$type_at" 000
refused "$D/overlap.gguf" "tensor $Q: data .* overlaps"

# f16 -> q8_0 (8): the data shrinks and leaves a gap before the next tensor
cp "$M" "$D/gap.gguf"
poke "$D/gap.gguf" "$type_at" 010
refused "$D/gap.gguf" "expected .* after $Q"

# an offset that is not a multiple of the alignment
cp "$M" "$D/misaligned.gguf"
poke "$D/misaligned.gguf" "$off_at" 001
refused "$D/misaligned.gguf" "tensor $Q: offset .* not aligned"

# a readable file whose shapes disagree with its tensors: feed_forward_length
# (u32 type, u32 value after the key) changed
K=llama.feed_forward_length
k=$(pos "$M" "$K")
[ -n "$k" ] || fail "no key $K in the synthesized file"
cp "$M" "$D/shape.gguf"
poke "$D/shape.gguf" $((k + ${#K} + 4)) 021
refused "$D/shape.gguf" "shape"

finish
