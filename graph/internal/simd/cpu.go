package simd

import "os"

// Enabled reports whether the assembly kernels run. It is set once at
// start-up from the processor's features and GORNN_SIMD; tests switch it
// to exercise both paths, which must not happen while kernels run.
var Enabled = hasAVX2FMA && os.Getenv("GORNN_SIMD") != "off"
