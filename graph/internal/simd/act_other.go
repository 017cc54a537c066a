//go:build !amd64

package simd

const noAsm = "simd: no assembly on this architecture"

func sigmoidAVX2(dst, x *float32, n int) { panic(noAsm) }

func tanhAVX2(dst, x *float32, n int) { panic(noAsm) }

func sigmoidAVX512(dst, x *float32, n int) { panic(noAsm) }

func tanhAVX512(dst, x *float32, n int) { panic(noAsm) }
