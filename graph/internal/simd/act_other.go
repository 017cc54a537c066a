//go:build !amd64

package simd

func sigmoidAVX2(dst, x *float32, n int) { panic("simd: no assembly on this architecture") }

func tanhAVX2(dst, x *float32, n int) { panic("simd: no assembly on this architecture") }
