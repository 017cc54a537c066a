package simd

// CopyRows copies rows rows of w floats: row r of src, which starts at
// src[r·lds], to dst[r·ldd:]. It is a strided copy for the columns of a
// matrix (a slice of its last axis, or its gradient), one call where
// copying row by row costs a call to memmove per row. It panics if a
// slice is too short, a stride is shorter than w or an argument is
// negative; dst and src must not overlap.
func CopyRows(dst []float32, ldd int, src []float32, lds int, rows, w int) {
	copyRows("CopyRows", dst, ldd, src, lds, rows, w, false)
}

// CopyRowsAddZero is CopyRows that writes src + 0 for each element: the
// same values but for −0, which becomes +0 (as in a sum into zeros, the
// way Gorgonia places a slice's gradient), in one pass instead of a copy
// and then an addition. NaNs stay NaNs (quiet), as in any addition. Its
// arguments are CopyRows'.
func CopyRowsAddZero(dst []float32, ldd int, src []float32, lds int, rows, w int) {
	copyRows("CopyRowsAddZero", dst, ldd, src, lds, rows, w, true)
}

// copyRows is CopyRows (with addZero, CopyRowsAddZero); fn names the
// caller in its panics.
func copyRows(fn string, dst []float32, ldd int, src []float32, lds int, rows, w int, addZero bool) {
	if rows < 0 || w < 0 {
		panic("simd: " + fn + ": negative size")
	}
	if rows == 0 || w == 0 {
		return
	}
	if ldd < w || lds < w || !fits(len(dst), rows, w, ldd) || !fits(len(src), rows, w, lds) {
		panic("simd: " + fn + ": a slice is too short for the rows and strides (or a stride < w)")
	}
	if Enabled && w >= 8 {
		if addZero {
			addZeroRowsAVX(&dst[0], &src[0], rows, w, ldd, lds)
		} else {
			copyRowsAVX(&dst[0], &src[0], rows, w, ldd, lds)
		}
		return
	}
	for r := 0; r < rows; r++ {
		d, s := dst[r*ldd:r*ldd+w], src[r*lds:r*lds+w]
		if !addZero {
			copy(d, s)
			continue
		}
		for j, v := range s {
			d[j] = v + 0
		}
	}
}
