//go:build !amd64

package simd

// Never called: Enabled is false on other architectures.

func addVV(dst, a, b *float32, n int)         { panic(noAsm) }
func subVV(dst, a, b *float32, n int)         { panic(noAsm) }
func mulVV(dst, a, b *float32, n int)         { panic(noAsm) }
func divVV(dst, a, b *float32, n int)         { panic(noAsm) }
func addVS(dst, a *float32, s float32, n int) { panic(noAsm) }
func subVS(dst, a *float32, s float32, n int) { panic(noAsm) }
func mulVS(dst, a *float32, s float32, n int) { panic(noAsm) }
func divVS(dst, a *float32, s float32, n int) { panic(noAsm) }
func subSV(dst, a *float32, s float32, n int) { panic(noAsm) }
func divSV(dst, a *float32, s float32, n int) { panic(noAsm) }
func xorVS(dst, a *float32, s float32, n int) { panic(noAsm) }

func sumRowsAVX2(dst, x *float32, rows, ld, n int) { panic(noAsm) }

func addRowsAVX(dst, x, row *float32, rows, c, ldd, ldx int) { panic(noAsm) }

func addOuterRowsAVX(dst *float32, ldd int, big *float32, ldb int, x *float32, incx int, w, row *float32, rows, c, first int) {
	panic(noAsm)
}
