package simd

//go:noescape
func copyRowsAVX(dst, src *float32, rows, w, ldd, lds int)

//go:noescape
func addZeroRowsAVX(dst, src *float32, rows, w, ldd, lds int)
