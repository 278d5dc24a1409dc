#!/usr/bin/env python3
"""Marks one GLIBCXX version requirement of an ELF shared library as weak, in place.

TorchSharp 0.107's libLibTorchSharp.so is built with GCC 13: its only use of GLIBCXX_3.4.32 is the undefined symbol
std::ios_base_library_init(), which GCC 13's <iostream> references (no relocation, never called) to pull in a
libstdc++ that initialises the standard streams itself. Debian 12's libstdc++ stops at GLIBCXX_3.4.30, so the loader
refuses the library ("version `GLIBCXX_3.4.32' not found"). With the requirement flagged VER_FLG_WEAK the loader only
notes it; the streams are still initialised by libtorch's own (older-GCC) static initialisers.
Usage: weak_glibcxx.py LIB.so [VERSION=GLIBCXX_3.4.32]   (patch a copy in the build output, never the NuGet cache)
"""
import struct
import sys

path = sys.argv[1]
wanted = (sys.argv[2] if len(sys.argv) > 2 else "GLIBCXX_3.4.32").encode()
data = bytearray(open(path, "rb").read())
if data[:4] != b"\x7fELF" or data[4] != 2:
    sys.exit(f"{path}: not a 64-bit ELF file")
shoff, = struct.unpack_from("<Q", data, 0x28)
shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
sections = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)]
SHT_GNU_VERNEED, VER_FLG_WEAK = 0x6FFFFFFE, 0x2
patched = 0
for name, stype, flags, addr, offset, size, link, info, align, entsize in sections:
    if stype != SHT_GNU_VERNEED:
        continue
    strtab = sections[link][4]
    cstr = lambda off: bytes(data[strtab + off:data.index(0, strtab + off)])
    vn = offset
    for _ in range(info):
        _, cnt, _, aux, nxt = struct.unpack_from("<HHIII", data, vn)
        va = vn + aux
        for _ in range(cnt):
            _, vflags, _, vname, vnext = struct.unpack_from("<IHHII", data, va)
            if cstr(vname) == wanted:
                struct.pack_into("<H", data, va + 4, vflags | VER_FLG_WEAK)
                patched += 1
            va += vnext
        vn += nxt
if patched == 0:
    print(f"{path}: no {wanted.decode()} requirement (nothing to do)")
else:
    open(path, "wb").write(data)
    print(f"{path}: {wanted.decode()} marked weak")
