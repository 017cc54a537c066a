package simd

//go:noescape
func addVV(dst, a, b *float32, n int)

//go:noescape
func subVV(dst, a, b *float32, n int)

//go:noescape
func mulVV(dst, a, b *float32, n int)

//go:noescape
func divVV(dst, a, b *float32, n int)

//go:noescape
func addVS(dst, a *float32, s float32, n int)

//go:noescape
func subVS(dst, a *float32, s float32, n int)

//go:noescape
func mulVS(dst, a *float32, s float32, n int)

//go:noescape
func divVS(dst, a *float32, s float32, n int)

//go:noescape
func subSV(dst, a *float32, s float32, n int)

//go:noescape
func divSV(dst, a *float32, s float32, n int)

//go:noescape
func xorVS(dst, a *float32, s float32, n int)

//go:noescape
func sumRowsAVX2(dst, x *float32, rows, ld, n int)

func addRowsAVX(dst, x, row *float32, rows, c, ldd, ldx int)

//go:noescape
func addOuterRowsAVX(dst *float32, ldd int, big *float32, ldb int, x *float32, incx int, w, row *float32, rows, c, first int)
