//go:build !amd64

package simd

const hasAVX2FMA = false

const hasAVX512 = false
