package graph

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"unsafe"

	"gorgonia.org/tensor"
)

// Tensor is a dense, row-major n-dimensional array of float32 or float64
// values: data, weights, outputs and gradients. It is gornn's own type,
// over the array the runtime computes on: nothing is converted at the seam
// between the two, and a parameter's Tensor is the memory every program
// binds.
//
// Tensors are used through pointers. A nil *Tensor or a zero Tensor is
// empty: its methods do not panic and report no shape, no values and an
// invalid DType (-1). The data is read and written through Float32Data and
// Float64Data (sharing its memory), Float64s and AppendFloat64s (copying).
type Tensor struct {
	d *tensor.Dense
}

// wrap returns d as a Tensor (nil for a nil d), sharing d's memory; a
// view is materialized first, so that a Tensor's values are always its
// array's contiguous, row-major backing.
func wrap(d *tensor.Dense) *Tensor {
	if d == nil {
		return nil
	}
	if d.IsView() {
		d = d.Materialize().(*tensor.Dense)
	}
	return &Tensor{d: d}
}

// wrapErr is wrap for a function's two results.
func wrapErr(d *tensor.Dense, err error) (*Tensor, error) {
	if err != nil {
		return nil, err
	}
	return wrap(d), nil
}

// dense returns the array behind t, nil for a nil or zero Tensor.
func (t *Tensor) dense() *tensor.Dense {
	if t == nil {
		return nil
	}
	return t.d
}

// Shape is a tensor's dimensions, outermost first. It is a plain []int
// that prints as a tuple, (40, 10, 1), as Keras and NumPy print shapes.
type Shape []int

// String returns s as a tuple: "(40, 10, 1)", "(3)", "()".
func (s Shape) String() string {
	b := []byte{'('}
	for i, d := range s {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = strconv.AppendInt(b, int64(d), 10)
	}
	return string(append(b, ')'))
}

// Shape returns a copy of t's shape (nil for an empty Tensor; empty and
// non-nil for a scalar).
func (t *Tensor) Shape() Shape {
	d := t.dense()
	if d == nil {
		return nil
	}
	return append(Shape{}, d.Shape()...)
}

// Dims returns the number of dimensions of t (0 for a scalar or an empty
// Tensor).
func (t *Tensor) Dims() int {
	d := t.dense()
	if d == nil {
		return 0
	}
	return d.Dims()
}

// Dim returns the size of t's dimension i, or 0 if t has no such
// dimension. Unlike Shape()[i] it does not allocate.
func (t *Tensor) Dim(i int) int {
	d := t.dense()
	if d == nil || i < 0 || i >= d.Dims() {
		return 0
	}
	return d.Shape()[i]
}

// Len returns the number of values in t (0 for an empty Tensor).
func (t *Tensor) Len() int {
	d := t.dense()
	if d == nil {
		return 0
	}
	return d.Shape().TotalSize()
}

// DType returns t's element type, or an invalid DType (-1) for an empty
// Tensor. [DTypeOf] returns the same as an error instead.
func (t *Tensor) DType() DType {
	dt, err := DTypeOf(t)
	if err != nil {
		return -1
	}
	return dt
}

// Clone returns a copy of t with memory of its own (nil for an empty
// Tensor).
func (t *Tensor) Clone() *Tensor {
	d := t.dense()
	if d == nil {
		return nil
	}
	if d.IsView() {
		return wrap(d.Materialize().(*tensor.Dense))
	}
	return wrap(d.Clone().(*tensor.Dense))
}

// String formats t's values as rows and columns, as fmt's %v does.
func (t *Tensor) String() string {
	return fmt.Sprint(t)
}

// Format implements fmt.Formatter for the float verbs (%v, %g, %f, %e
// and %s, with a width and a precision: %.3v): values are printed as rows
// and columns, large tensors with their middle rows and columns elided
// (%#v prints every value, %-v prints them as one flat list, %+v adds the
// shape and strides first). An empty Tensor prints as "<nil>".
func (t *Tensor) Format(s fmt.State, c rune) {
	d := t.dense()
	switch {
	case d == nil:
		fmt.Fprint(s, "<nil>")
	case c == 'i': // Gorgonia's internals: not part of gornn's face
		fmt.Fprint(s, "%!i(*graph.Tensor)")
	default:
		d.Format(s, c)
	}
}

// MaxTensorElements is the most values a tensor or parameter made by this
// package may hold: 2³⁰, 4 GiB as float32, 8 GiB as float64. NewTensor,
// NewTensorChecked, FromFloat64s, NewParam and the initializers refuse
// larger shapes before allocating anything, so that a mistaken size is an
// error rather than the runtime's fatal "out of memory".
const MaxTensorElements = 1 << 30

// NewTensor returns a zero-filled dense tensor of the given dtype and shape
// (no dimensions: a scalar).
//
// It returns nil, and allocates nothing, if dt is not Float32 or Float64, a
// dimension is negative, or the shape holds more than MaxTensorElements
// values; [NewTensorChecked] returns the reason as an error instead.
func NewTensor(dt DType, shape ...int) *Tensor {
	t, err := NewTensorChecked(dt, shape...)
	if err != nil {
		return nil
	}
	return t
}

// NewTensorChecked is NewTensor returning an error wrapping ErrArgument (an
// invalid dtype) or ErrShape (a negative dimension, or more than
// MaxTensorElements values) instead of nil.
func NewTensorChecked(dt DType, shape ...int) (*Tensor, error) {
	if !dt.Valid() {
		return nil, fmt.Errorf("%w: invalid dtype %v", ErrArgument, dt)
	}
	if _, err := shapeSize(shape); err != nil {
		return nil, err
	}
	return wrap(tensor.New(tensor.WithShape(shape...), tensor.Of(dt.tensorDtype()))), nil
}

// shapeSize returns the number of values of shape, or an error wrapping
// ErrShape if a dimension is negative or the product exceeds
// MaxTensorElements (checked before each multiplication, so it cannot
// overflow).
func shapeSize(shape []int) (int, error) {
	n := 1
	for _, d := range shape {
		if d < 0 {
			return 0, fmt.Errorf("%w: shape %v has a negative dimension", ErrShape, shape)
		}
	}
	for _, d := range shape {
		var ok bool
		if n, ok = mulSize(n, d); !ok {
			return 0, fmt.Errorf("%w: shape %v holds more than MaxTensorElements (%d) values", ErrShape, shape, MaxTensorElements)
		}
	}
	return n, nil
}

// mulSize returns a·b for non-negative a and b, and whether it is at most
// MaxTensorElements; it never overflows.
func mulSize(a, b int) (int, bool) {
	if a < 0 || b < 0 {
		return 0, false
	}
	if a == 0 || b == 0 {
		return 0, true
	}
	if a > MaxTensorElements/b {
		return 0, false
	}
	return a * b, true
}

// FromFloat64s returns a tensor of dtype dt and the given shape holding a
// copy of data (converted to float32 when dt is Float32).
func FromFloat64s(dt DType, data []float64, shape ...int) (*Tensor, error) {
	if !dt.Valid() {
		return nil, fmt.Errorf("%w: invalid dtype %v", ErrArgument, dt)
	}
	if len(shape) == 0 || slices.ContainsFunc(shape, func(d int) bool { return d <= 0 }) {
		return nil, fmt.Errorf("%w: tensor shape %v must be non-empty and positive", ErrShape, shape)
	}
	n, err := shapeSize(shape)
	if err != nil {
		return nil, err
	}
	if n != len(data) {
		return nil, fmt.Errorf("%w: %d values for shape %v (needs %d)", ErrShape, len(data), shape, n)
	}
	t := NewTensor(dt, shape...)
	switch d := anyData(t.d).(type) {
	case []float32:
		for i, v := range data {
			d[i] = float32(v)
		}
	case []float64:
		copy(d, data)
	}
	return t, nil
}

// AppendFloat64s appends t's data as float64, in row-major order, to dst
// and returns the extended slice (dst[:0] reuses dst's memory). A nil t
// appends nothing.
func AppendFloat64s(dst []float64, t *Tensor) []float64 {
	if t.dense() == nil {
		return dst
	}
	switch d := anyData(t.d).(type) {
	case []float32:
		for _, v := range d {
			dst = append(dst, float64(v))
		}
		return dst
	case []float64:
		return append(dst, d...)
	}
	return append(dst, Float64s(t)...)
}

// Float64s returns a copy of t's data as float64, in row-major order (nil
// for a nil t).
func Float64s(t *Tensor) []float64 {
	if t.dense() == nil {
		return nil
	}
	switch d := anyData(t.d).(type) {
	case []float32:
		out := make([]float64, len(d))
		for i, v := range d {
			out[i] = float64(v)
		}
		return out
	case []float64:
		return slices.Clone(d)
	case float32:
		return []float64{float64(d)}
	case float64:
		return []float64{d}
	}
	return nil
}

// DTypeOf returns the dtype of t, or an error if it is neither float32 nor float64.
func DTypeOf(t *Tensor) (DType, error) {
	if t.dense() == nil {
		return 0, fmt.Errorf("%w: nil tensor", ErrArgument)
	}
	return denseDType(t.d)
}

// denseDType is DTypeOf for the array behind a Tensor.
func denseDType(d *tensor.Dense) (DType, error) {
	switch d.Dtype() {
	case tensor.Float32:
		return Float32, nil
	case tensor.Float64:
		return Float64, nil
	}
	return 0, fmt.Errorf("%w: tensor of %v (want float32 or float64)", ErrDType, d.Dtype())
}

// CheckFinite returns an error wrapping ErrNotFinite that gives the flat
// index of the first NaN or infinity in t, or nil (for a nil t, an error
// wrapping ErrArgument).
func CheckFinite(t *Tensor) error {
	if t.dense() == nil {
		return fmt.Errorf("%w: nil tensor", ErrArgument)
	}
	i := firstNonFinite(t.d)
	if i < 0 {
		return nil
	}
	return fmt.Errorf("%w at flat index %d", ErrNotFinite, i)
}

// FirstNonFinite returns the flat index of the first NaN or infinity in t,
// or -1 if every value is finite (or t is nil).
func FirstNonFinite(t *Tensor) int {
	if t.dense() == nil {
		return -1
	}
	return firstNonFinite(t.d)
}

func firstNonFinite(t *tensor.Dense) int {
	switch d := anyData(t).(type) {
	case []float32:
		return firstNonFiniteOf(d)
	case []float64:
		return firstNonFiniteOf(d)
	}
	return -1
}

// nonFiniteChunk is how many values firstNonFiniteOf sums before it
// looks at the sum.
const nonFiniteChunk = 256

// firstNonFiniteOf returns the index of the first NaN or infinity in d,
// or -1. v − v is +0 for a finite v and NaN for a NaN or an infinity, so
// a chunk whose sum of them is 0 holds only finite values; only a chunk
// whose sum is not is searched value by value. The sums have no branch
// per value and run in four independent chains (4.4 times as fast as a
// test of each value, on 65,536 float64s): the training data of every
// Fit call, and every input of every run, is checked so.
func firstNonFiniteOf[T float32 | float64](d []T) int {
	for lo := 0; lo < len(d); lo += nonFiniteChunk {
		c := d[lo:min(lo+nonFiniteChunk, len(d))]
		var a0, a1, a2, a3 T
		i := 0
		for ; i+4 <= len(c); i += 4 {
			a0 += c[i] - c[i]
			a1 += c[i+1] - c[i+1]
			a2 += c[i+2] - c[i+2]
			a3 += c[i+3] - c[i+3]
		}
		for ; i < len(c); i++ {
			a0 += c[i] - c[i]
		}
		if (a0+a1)+(a2+a3) == 0 {
			continue
		}
		for i, v := range c {
			if f := float64(v); math.IsNaN(f) || math.IsInf(f, 0) {
				return lo + i
			}
		}
	}
	return -1
}

func sizeOf(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// copyInto copies src's data into dst, converting the element type if needed.
// Sizes must match.
func copyInto(dst, src *tensor.Dense) {
	switch d := anyData(dst).(type) {
	case []float32:
		switch s := anyData(src).(type) {
		case []float32:
			copy(d, s)
		case []float64:
			for i, v := range s {
				d[i] = float32(v)
			}
		}
	case []float64:
		switch s := anyData(src).(type) {
		case []float32:
			for i, v := range s {
				d[i] = float64(v)
			}
		case []float64:
			copy(d, s)
		}
	}
}

// anyData returns t's elements as []float32 or []float64 (nil for other
// types), like t.Data() but without its reflection: data is read on every
// run of a program.
//
// It is small enough to inline, so that the interface a caller switches
// on stays on the caller's stack instead of being allocated.
func anyData(t *tensor.Dense) any {
	raw := t.Raw
	switch t.Dtype() {
	case tensor.Float32:
		return unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(raw))), len(raw)/4)
	case tensor.Float64:
		return unsafe.Slice((*float64)(unsafe.Pointer(unsafe.SliceData(raw))), len(raw)/8)
	}
	return nil
}

// SampleRange returns samples lo..hi-1 (along the first axis) of x, a
// float32 or float64 tensor, as a tensor sharing x's memory. It needs
// 0 ≤ lo ≤ hi ≤ x.Dim(0).
func SampleRange(x *Tensor, lo, hi int) (*Tensor, error) {
	xd, n, err := samples(x)
	if err != nil {
		return nil, err
	}
	if lo < 0 || hi < lo || hi > n {
		return nil, fmt.Errorf("%w: samples %d..%d of %d", ErrArgument, lo, hi, n)
	}
	shape := []int(xd.Shape().Clone())
	per := xd.Shape().TotalSize() / n
	shape[0] = hi - lo
	switch d := anyData(xd).(type) {
	case []float32:
		return wrap(tensor.New(tensor.WithShape(shape...), tensor.WithBacking(d[lo*per:hi*per]))), nil
	default:
		return wrap(tensor.New(tensor.WithShape(shape...), tensor.WithBacking(d.([]float64)[lo*per:hi*per]))), nil
	}
}

// SampleIndex returns the samples of x, a float32 or float64 tensor, at
// the given indices along the first axis, in that order, as a new tensor.
// Every index must be in [0, x.Dim(0)).
func SampleIndex(x *Tensor, idx []int) (*Tensor, error) {
	return SampleIndexInto(nil, x, idx)
}

// SampleIndexInto is SampleIndex writing into dst when it fits (same
// dtype as x, shaped [len(idx), sample shape...]), so that a training loop
// can assemble its batches without allocating; otherwise, or with a nil
// dst, it returns a new tensor. dst must not share memory with x.
func SampleIndexInto(dst, x *Tensor, idx []int) (*Tensor, error) {
	xd, n, err := samples(x)
	if err != nil {
		return nil, err
	}
	for _, i := range idx {
		if i < 0 || i >= n {
			return nil, fmt.Errorf("%w: sample index %d of %d", ErrArgument, i, n)
		}
	}
	per := xd.Shape().TotalSize() / n
	if dd := dst.dense(); dd != nil && dst != x && dd != xd && dd.Dtype() == xd.Dtype() && !dd.IsView() && dd.Dims() == xd.Dims() &&
		dd.Shape()[0] == len(idx) && slices.Equal(dd.Shape()[1:], xd.Shape()[1:]) {
		switch d := anyData(dd).(type) {
		case []float32:
			gatherInto(d[:0], anyData(xd).([]float32), idx, per)
		case []float64:
			gatherInto(d[:0], anyData(xd).([]float64), idx, per)
		}
		return dst, nil
	}
	shape := []int(xd.Shape().Clone())
	shape[0] = len(idx)
	switch d := anyData(xd).(type) {
	case []float32:
		return wrap(tensor.New(tensor.WithShape(shape...), tensor.WithBacking(gather(d, idx, per)))), nil
	default:
		return wrap(tensor.New(tensor.WithShape(shape...), tensor.WithBacking(gather(d.([]float64), idx, per)))), nil
	}
}

// samples checks that t can be cut into samples and returns its array,
// made contiguous, with their number.
func samples(t *Tensor) (*tensor.Dense, int, error) {
	x := t.dense()
	if x == nil {
		return nil, 0, fmt.Errorf("%w: nil tensor", ErrArgument)
	}
	if x.Dims() == 0 {
		return nil, 0, fmt.Errorf("%w: samples of a scalar", ErrArgument)
	}
	if x.Dtype() != tensor.Float32 && x.Dtype() != tensor.Float64 {
		return nil, 0, fmt.Errorf("%w: samples of a %v tensor, want float32 or float64", ErrDType, x.Dtype())
	}
	if x.IsView() {
		x = x.Materialize().(*tensor.Dense)
	}
	n := x.Shape()[0]
	if n == 0 {
		return nil, 0, fmt.Errorf("%w: no samples (shape %v)", ErrArgument, x.Shape())
	}
	return x, n, nil
}

func gather[T float32 | float64](d []T, idx []int, per int) []T {
	return gatherInto(make([]T, 0, len(idx)*per), d, idx, per)
}

// gatherInto appends the samples of d at idx, per values each, to out.
func gatherInto[T float32 | float64](out, d []T, idx []int, per int) []T {
	for _, i := range idx {
		out = append(out, d[i*per:(i+1)*per]...)
	}
	return out
}
