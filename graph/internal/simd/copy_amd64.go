package simd

//go:noescape
func copyRowsAVX(dst, src *float32, rows, w, ldd, lds int)
