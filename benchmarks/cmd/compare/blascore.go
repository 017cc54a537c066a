package main

import (
	"os"
	"strings"

	"golang.org/x/sys/cpu"
)

// A DYNAMIC_ARCH OpenBLAS (Debian's) chooses its kernels from the
// processor's model number when it loads. A processor newer than the
// OpenBLAS gets its generic fallback, Prescott's SSE3 kernels: OpenBLAS
// 0.3.21 on an Intel Xeon of family 6 model 207 (Emerald Rapids) did, and
// its sgemm ran at 22 GFLOP/s there against 83 with OPENBLAS_CORETYPE=
// SkylakeX (64×128 by 128×512, one thread), which made PyTorch's W4 3.6×
// slower than it is. A ratio against that is as flattering as one against
// the reference BLAS, so compare reads the kernels OpenBLAS chose
// (workloads.py asks openblas_get_corename), and when they are below what
// the processor runs it sets OPENBLAS_CORETYPE for the PyTorch runs to the
// best kernels the processor supports, says so, and prints no ratios if
// OpenBLAS still runs kernels below the processor.

// ISA levels of OpenBLAS's x86 kernels.
const (
	isaUnknown = iota
	isaSSE
	isaAVX
	isaAVX2
	isaAVX512
)

var isaNames = [...]string{"unknown", "SSE", "AVX", "AVX2 and FMA", "AVX-512"}

// coreLevel is the instruction set an OpenBLAS core's kernels use, from
// the name openblas_get_corename gives (driver/others/dynamic.c's names,
// any case); isaUnknown for a name it does not know, or a non-x86 core.
func coreLevel(name string) int {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "":
		return isaUnknown
	case "skylakex", "cooperlake", "sapphirerapids":
		return isaAVX512
	case "haswell", "zen", "excavator":
		return isaAVX2
	case "sandybridge", "bulldozer", "piledriver", "steamroller":
		return isaAVX
	case "prescott", "katmai", "coppermine", "northwood", "banias", "atom", "core2", "penryn",
		"dunnington", "nehalem", "athlon", "opteron", "opteron_sse3", "opteron(sse3)", "barcelona", "nano", "bobcat":
		return isaSSE
	}
	return isaUnknown
}

// machineCore is the best OpenBLAS core this processor (and its operating
// system) runs, by the features x/sys/cpu reads, and its level; "" and
// isaUnknown off x86 or with none of AVX.
func machineCore() (string, int) {
	x := cpu.X86
	switch {
	case x.HasAVX512F && x.HasAVX512BW && x.HasAVX512VL && x.HasAVX512DQ && x.HasAVX512CD:
		return "SkylakeX", isaAVX512
	case x.HasAVX2 && x.HasFMA:
		return "Haswell", isaAVX2
	case x.HasAVX:
		return "Sandybridge", isaAVX
	}
	return "", isaUnknown
}

// coreFix is what compare does about OpenBLAS's kernels: force is the
// OPENBLAS_CORETYPE value to set for the PyTorch runs ("" for none).
// reported is the core OpenBLAS chose by itself; want is the processor's
// best core and level; preset is OPENBLAS_CORETYPE as the user set it
// ("" when unset), which compare leaves alone.
func coreFix(reported, preset, want string, level int) (force string) {
	if preset != "" || want == "" {
		return ""
	}
	got := coreLevel(reported)
	if got == isaUnknown || got >= level {
		return ""
	}
	return want
}

// coreBelow reports whether an OpenBLAS core's kernels are known to be
// below the processor's level: ratios against it are not printed.
func coreBelow(core string, level int) bool {
	got := coreLevel(core)
	return got != isaUnknown && level != isaUnknown && got < level
}

// presetCore is OPENBLAS_CORETYPE as the user set it.
func presetCore() string { return os.Getenv("OPENBLAS_CORETYPE") }
