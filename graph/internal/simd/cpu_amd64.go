package simd

import "golang.org/x/sys/cpu"

// The kernels use 256-bit AVX2 integer and float instructions and FMA3;
// x/sys/cpu also checks that the operating system saves the YMM registers.
var hasAVX2FMA = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// hasAVX512 reports AVX-512F with the operating system saving the ZMM and
// mask registers (x/sys/cpu checks both).
var hasAVX512 = cpu.X86.HasAVX512F
