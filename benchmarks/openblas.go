package benchmarks

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
// the reference BLAS, so compare (and stepplot) read the kernels OpenBLAS
// chose (workloads.py asks openblas_get_corename), and when they are below
// what the processor runs set OPENBLAS_CORETYPE for the PyTorch runs to
// the best kernels the processor supports (OpenBLASCoreFix), say so, and
// compare prints no ratios if OpenBLAS still runs kernels below the
// processor (OpenBLASCoreBelow).

// ISA is the instruction set of OpenBLAS's x86 kernels, or of a
// processor: the higher, the wider.
type ISA int

// The instruction sets OpenBLAS's x86 kernels are written for.
const (
	ISAUnknown ISA = iota
	ISASSE
	ISAAVX
	ISAAVX2
	ISAAVX512
)

// String names the instruction set.
func (i ISA) String() string {
	if i < ISAUnknown || i > ISAAVX512 {
		return "unknown"
	}
	return [...]string{"unknown", "SSE", "AVX", "AVX2 and FMA", "AVX-512"}[i]
}

// OpenBLASCoreISA is the instruction set an OpenBLAS core's kernels use,
// from the name openblas_get_corename gives (driver/others/dynamic.c's
// names, any case); ISAUnknown for a name it does not know, or a non-x86
// core.
func OpenBLASCoreISA(name string) ISA {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "":
		return ISAUnknown
	case "skylakex", "cooperlake", "sapphirerapids":
		return ISAAVX512
	case "haswell", "zen", "excavator":
		return ISAAVX2
	case "sandybridge", "bulldozer", "piledriver", "steamroller":
		return ISAAVX
	case "prescott", "katmai", "coppermine", "northwood", "banias", "atom", "core2", "penryn",
		"dunnington", "nehalem", "athlon", "opteron", "opteron_sse3", "opteron(sse3)", "barcelona", "nano", "bobcat":
		return ISASSE
	}
	return ISAUnknown
}

// MachineOpenBLASCore is the best OpenBLAS core this processor (and its
// operating system) runs, by the features x/sys/cpu reads, and its
// instruction set; "" and ISAUnknown off x86 or with none of AVX.
func MachineOpenBLASCore() (string, ISA) {
	x := cpu.X86
	switch {
	case x.HasAVX512F && x.HasAVX512BW && x.HasAVX512VL && x.HasAVX512DQ && x.HasAVX512CD:
		return "SkylakeX", ISAAVX512
	case x.HasAVX2 && x.HasFMA:
		return "Haswell", ISAAVX2
	case x.HasAVX:
		return "Sandybridge", ISAAVX
	}
	return "", ISAUnknown
}

// OpenBLASCoreFix is what to do about OpenBLAS's kernels: force is the
// OPENBLAS_CORETYPE value to set for the PyTorch runs ("" for none).
// reported is the core OpenBLAS chose by itself; want is the processor's
// best core and level (MachineOpenBLASCore); preset is OPENBLAS_CORETYPE
// as the user set it ("" when unset), which is left alone.
func OpenBLASCoreFix(reported, preset, want string, level ISA) (force string) {
	if preset != "" || want == "" {
		return ""
	}
	got := OpenBLASCoreISA(reported)
	if got == ISAUnknown || got >= level {
		return ""
	}
	return want
}

// OpenBLASCoreBelow reports whether an OpenBLAS core's kernels are known
// to be below the processor's instruction set: ratios against it flatter.
func OpenBLASCoreBelow(core string, level ISA) bool {
	got := OpenBLASCoreISA(core)
	return got != ISAUnknown && level != ISAUnknown && got < level
}

// PresetOpenBLASCore is OPENBLAS_CORETYPE as the user set it.
func PresetOpenBLASCore() string { return os.Getenv("OPENBLAS_CORETYPE") }

// ChooseOpenBLASCore decides the kernels for PyTorch's runs. reported is
// the core OpenBLAS chose by itself; want and level are the processor's
// best (MachineOpenBLASCore); probe reports the core OpenBLAS runs with
// env added to the environment ("" when it cannot tell). When reported is
// below level and OPENBLAS_CORETYPE is not preset, it tries
// OPENBLAS_CORETYPE=want: forced is that value, and env (to add to the
// runs' environment) and core are set only when OpenBLAS took it and runs
// kernels no longer below the processor's; otherwise env is nil and core
// is reported.
func ChooseOpenBLASCore(reported, want string, level ISA, probe func(env []string) string) (env []string, core, forced string) {
	forced = OpenBLASCoreFix(reported, PresetOpenBLASCore(), want, level)
	if forced == "" {
		return nil, reported, ""
	}
	try := []string{"OPENBLAS_CORETYPE=" + forced}
	if got := probe(try); got != "" && !OpenBLASCoreBelow(got, level) {
		return try, got, forced
	}
	return nil, reported, forced
}
