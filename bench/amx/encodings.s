# The AMX instructions Int8TileAmx and Bf16TileAmx assemble (with Iced), in GNU as syntax: bench/amx/encodings.sh assembles this
# file with the machine's binutils and prints each line's bytes, which Int8TileAmxTests.TheTileInstructionsAreEncodedAsGnuAsEncodesThem
# holds Iced's encodings to. Nothing at build or run time needs gcc or as; this is the independent reference.
.intel_syntax noprefix
ldtilecfg [rip+0x40]
tileloadd tmm6, [rdx+r9*1]
tileloadd tmm7, [r10+r9*1]
tileloadd tmm4, [rax+r8*1]
tileloadd tmm5, [rsi+r8*1]
tdpbusd tmm0, tmm4, tmm6
tdpbusd tmm1, tmm4, tmm7
tdpbusd tmm2, tmm5, tmm6
tdpbusd tmm3, tmm5, tmm7
tilestored [rax+r8*1], tmm0
tilestored [rax+r8*1+0x40], tmm1
tilezero tmm3
tilerelease
tdpbf16ps tmm0, tmm4, tmm6
tdpbf16ps tmm1, tmm4, tmm7
tdpbf16ps tmm2, tmm5, tmm6
tdpbf16ps tmm3, tmm5, tmm7
