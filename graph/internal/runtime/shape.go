package runtime

import (
	"slices"

	"github.com/gornn/gornn/graph/internal/simd"
	"gorgonia.org/gorgonia"
)

// newSumAll is the kernel of the sum of all elements of a matrix into a
// scalar.
func newSumAll[T float32 | float64](s shapes) kernel {
	if len(s.args) != 1 || len(s.args[0]) != 2 || len(s.out) != 0 {
		return nil
	}
	return sumAll[T]{n: size(s.args[0])}
}

// sumAll sums the n elements of its operand into the scalar out in place,
// in order (as Gorgonia's sum does).
type sumAll[T float32 | float64] struct{ n int }

func (k sumAll[T]) String() string { return "sum-all" }

func (k sumAll[T]) run(_ *Machine, out gorgonia.Value, args []gorgonia.Value) bool {
	if len(args) != 1 {
		return false
	}
	x, ok := denseData[T](args[0], k.n)
	if !ok || !scalarOf[T](out) {
		return false
	}
	setScalar(out, sumOf(x))
	return true
}

// sumOf is the sum of x's elements in order from zero.
func sumOf[T float32 | float64](x []T) T {
	var t T
	for _, e := range x {
		t += e
	}
	return t
}

// scalarOf reports whether v is a scalar of element type T.
func scalarOf[T float32 | float64](v gorgonia.Value) bool {
	switch v.(type) {
	case *gorgonia.F32:
		return isFloat32[T]()
	case *gorgonia.F64:
		return !isFloat32[T]()
	}
	return false
}

// setScalar writes t into v, a scalar of t's type (scalarOf).
func setScalar[T float32 | float64](v gorgonia.Value, t T) {
	switch s := v.(type) {
	case *gorgonia.F32:
		*s = gorgonia.F32(t)
	case *gorgonia.F64:
		*s = gorgonia.F64(t)
	}
}

// newColSum is the kernel of the column sums of a matrix (Σ over axis 0).
func newColSum[T float32 | float64](s shapes) kernel {
	if len(s.args) != 1 || len(s.args[0]) != 2 || len(s.out) != 1 || s.args[0][1] != s.out[0] {
		return nil
	}
	return colSum[T]{rows: s.args[0][0], cols: s.args[0][1]}
}

// colSum sums the rows of a [rows, cols] matrix into [cols].
type colSum[T float32 | float64] struct{ rows, cols int }

func (k colSum[T]) String() string { return "col-sum" }

func (k colSum[T]) run(_ *Machine, out gorgonia.Value, args []gorgonia.Value) bool {
	o, ok := denseData[T](out, k.cols)
	if !ok || len(args) != 1 {
		return false
	}
	x, ok := denseData[T](args[0], k.rows*k.cols)
	if !ok {
		return false
	}
	colSums(o, x)
	return true
}

// colSums sets o[j] to the sum of column j of x [len(x)/len(o), len(o)],
// row by row from zero.
func colSums[T float32 | float64](o, x []T) {
	if isFloat32[T]() {
		// The same additions in the same order (row by row from zero),
		// whole vectors of columns summed in registers in one call.
		simd.SumRows(as32(o), as32(x))
		return
	}
	clear(o)
	if len(o) == 0 {
		return
	}
	for r := 0; r+len(o) <= len(x); r += len(o) {
		for j, v := range x[r : r+len(o)] {
			o[j] += v
		}
	}
}

// newRepeat0 is the kernel of a bias broadcast: x [1, ...] repeated along
// axis 0 (the second operand, the count, is implied by the shapes).
func newRepeat0[T float32 | float64](s shapes) kernel {
	if len(s.args) < 1 {
		return nil
	}
	x := s.args[0]
	if len(x) < 1 || x[0] != 1 || len(s.out) != len(x) || !slices.Equal(x[1:], s.out[1:]) || size(x) == 0 {
		return nil
	}
	return repeat0[T]{row: size(x), rows: s.out[0]}
}

// repeat0 writes its operand's row of row values rows times.
type repeat0[T float32 | float64] struct{ row, rows int }

func (k repeat0[T]) String() string { return "repeat0" }

func (k repeat0[T]) broadcastsRows() {}

func (k repeat0[T]) run(_ *Machine, out gorgonia.Value, args []gorgonia.Value) bool {
	o, ok := denseData[T](out, k.row*k.rows)
	if !ok || len(args) < 1 {
		return false
	}
	x, ok := denseData[T](args[0], k.row)
	if !ok {
		return false
	}
	if len(x) == 1 {
		// A scalar broadcast (a loss's gradient into its batch): stores,
		// not a call to copy per element.
		v := x[0]
		for j := range o {
			o[j] = v
		}
		return true
	}
	for r := 0; r < len(o); r += len(x) {
		copy(o[r:r+len(x)], x)
	}
	return true
}

// newRepeat1 is the kernel of the broadcast of a column (a gradient of a
// mean, say): x [r, 1] repeated into [r, c].
func newRepeat1[T float32 | float64](s shapes) kernel {
	if len(s.args) < 1 || len(s.args[0]) != 2 || s.args[0][1] != 1 || len(s.out) != 2 || s.out[0] != s.args[0][0] {
		return nil
	}
	return repeat1[T]{rows: s.out[0], cols: s.out[1]}
}

// repeat1 writes each of its operand's rows values cols times.
type repeat1[T float32 | float64] struct{ rows, cols int }

func (k repeat1[T]) String() string { return "repeat1" }

func (k repeat1[T]) run(_ *Machine, out gorgonia.Value, args []gorgonia.Value) bool {
	o, ok := denseData[T](out, k.rows*k.cols)
	if !ok || len(args) < 1 {
		return false
	}
	x, ok := denseData[T](args[0], k.rows)
	if !ok {
		return false
	}
	c := k.cols
	for i, v := range x {
		row := o[i*c : (i+1)*c]
		for j := range row {
			row[j] = v
		}
	}
	return true
}

// sliceRange is a slice's axis and bounds.
type sliceRange struct{ along, start, end int }

// dims returns the rows and columns of x (a vector has one column)
// and the size of x[..., start:end] along the range's axis, or false
// when the range does not fit a vector or a matrix x.
func (r sliceRange) dims(x []int) (rows, cols, n int, ok bool) {
	if len(x) < 1 || len(x) > 2 || r.along >= len(x) || r.end > x[r.along] {
		return 0, 0, 0, false
	}
	rows, cols = x[0], 1
	want := []int{r.end - r.start}
	if len(x) == 2 {
		cols = x[1]
		want = []int{rows, cols}
		want[r.along] = r.end - r.start
	}
	return rows, cols, size(want), true
}

// newSlice is the kernel of x[..., start:end] along one axis of a vector
// or a matrix, copied.
func newSlice[T float32 | float64](r sliceRange, s shapes) kernel {
	if len(s.args) != 1 {
		return nil
	}
	rows, cols, n, ok := r.dims(s.args[0])
	if !ok || size(s.out) != n {
		return nil
	}
	return slice[T]{sliceRange: r, rows: rows, cols: cols, n: n}
}

// slice copies x[..., start:end] out of x [rows, cols].
type slice[T float32 | float64] struct {
	sliceRange
	rows, cols, n int
}

func (k slice[T]) String() string { return "slice" }

func (k slice[T]) run(_ *Machine, out gorgonia.Value, args []gorgonia.Value) bool {
	o, ok := denseData[T](out, k.n)
	if !ok || len(args) != 1 {
		return false
	}
	x, ok := denseData[T](args[0], k.rows*k.cols)
	if !ok {
		return false
	}
	sliceCopy(k.sliceRange, x, o, k.rows, k.cols, false)
	return true
}

// newSliceGrad is the kernel of a slice's gradient: zeros shaped like x
// with the gradient of x[..., start:end] placed in.
func newSliceGrad[T float32 | float64](r sliceRange, s shapes) kernel {
	if len(s.args) != 2 {
		return nil
	}
	rows, cols, n, ok := r.dims(s.args[0])
	if !ok || size(s.args[1]) != n || !slices.Equal(s.out, s.args[0]) {
		return nil
	}
	return sliceGrad[T]{sliceRange: r, rows: rows, cols: cols, n: n}
}

// sliceGrad places its second operand, n values, into the zeroed range of
// out [rows, cols].
type sliceGrad[T float32 | float64] struct {
	sliceRange
	rows, cols, n int
}

func (k sliceGrad[T]) String() string { return "slice-grad" }

func (k sliceGrad[T]) run(_ *Machine, out gorgonia.Value, args []gorgonia.Value) bool {
	o, ok := denseData[T](out, k.rows*k.cols)
	if !ok || len(args) != 2 {
		return false
	}
	g, ok := denseData[T](args[1], k.n)
	if !ok {
		return false
	}
	clear(o)
	sliceCopy(k.sliceRange, o, g, k.rows, k.cols, true)
	return true
}

// newPassGrad is the kernel of the gradient of a whole-axis slice: the
// incoming gradient itself.
func newPassGrad[T float32 | float64](s shapes) kernel {
	if len(s.args) != 2 || !slices.Equal(s.args[1], s.out) {
		return nil
	}
	return passGrad[T]{n: size(s.out)}
}

// passGrad copies its second operand.
type passGrad[T float32 | float64] struct{ n int }

func (k passGrad[T]) String() string { return "pass-grad" }

func (k passGrad[T]) run(_ *Machine, out gorgonia.Value, args []gorgonia.Value) bool {
	o, ok := denseData[T](out, k.n)
	if !ok || len(args) != 2 {
		return false
	}
	g, ok := denseData[T](args[1], k.n)
	if !ok {
		return false
	}
	copy(o, g)
	return true
}

// sliceCopy copies x[..., start:end] (a matrix [r, c] sliced along one
// axis) into o, or with incr set, o's values into that part of x: the two
// directions of a slice.
func sliceCopy[T float32 | float64](k sliceRange, x, o []T, r, c int, incr bool) {
	w := k.end - k.start
	if k.along == 0 {
		x = x[k.start*c : k.end*c]
		if incr {
			copy(x, o)
		} else {
			copy(o, x)
		}
		return
	}
	if isFloat32[T]() && r > 0 {
		x32, o32 := as32(x)[k.start:], as32(o)
		if incr {
			simd.CopyRows(x32, c, o32, w, r, w)
		} else {
			simd.CopyRows(o32, w, x32, c, r, w)
		}
		return
	}
	for i := 0; i < r; i++ {
		row := x[i*c+k.start : i*c+k.end]
		if incr {
			copy(row, o[i*w:(i+1)*w])
		} else {
			copy(o[i*w:(i+1)*w], row)
		}
	}
}

// maxConcat is the most pieces the concatenation kernel joins.
const maxConcat = 8

// newConcat is the kernel of pieces joined along an axis.
func newConcat[T float32 | float64](axis int, s shapes) kernel {
	if len(s.args) == 0 || len(s.args) > maxConcat || axis >= len(s.out) {
		return nil
	}
	k := concat[T]{outer: size(s.out[:axis]), pieces: len(s.args)}
	width := 0
	for i, a := range s.args {
		if len(a) != len(s.out) {
			return nil
		}
		for j := range a {
			if j != axis && a[j] != s.out[j] {
				return nil
			}
		}
		if k.outer == 0 {
			return nil
		}
		k.widths[i] = size(a) / k.outer
		width += k.widths[i]
	}
	if width*k.outer != size(s.out) {
		return nil
	}
	k.n = size(s.out)
	return k
}

// concat joins its operands, each outer rows of widths[i] values, row by
// row into out.
type concat[T float32 | float64] struct {
	outer, pieces, n int
	widths           [maxConcat]int
}

func (k concat[T]) String() string { return "concat" }

func (k concat[T]) run(_ *Machine, out gorgonia.Value, args []gorgonia.Value) bool {
	o, ok := denseData[T](out, k.n)
	if !ok || len(args) != k.pieces {
		return false
	}
	var buf [maxConcat][]T
	pieces := buf[:k.pieces]
	for i, a := range args {
		if pieces[i], ok = denseData[T](a, k.outer*k.widths[i]); !ok {
			return false
		}
	}
	at := 0
	for r := 0; r < k.outer; r++ {
		for i, p := range pieces {
			w := k.widths[i]
			copy(o[at:at+w], p[r*w:(r+1)*w])
			at += w
		}
	}
	return true
}
