//go:build !amd64

package simd

func copyRowsAVX(dst, src *float32, rows, w, ldd, lds int) { panic(noAsm) }

func addZeroRowsAVX(dst, src *float32, rows, w, ldd, lds int) { panic(noAsm) }
