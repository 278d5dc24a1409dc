#!/usr/bin/env bash
# Assembles bench/amx/encodings.s with GNU as (binutils 2.38 or later knows AMX) and prints each instruction's bytes:
# the reference Int8TileAmxTests compares Iced's encodings with. Usage: bash bench/amx/encodings.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
as --64 "$here/encodings.s" -o "$out/encodings.o"
objdump -d -M intel --no-addresses "$out/encodings.o" | sed -n '/<.text>:/,$p' | tail -n +2
