package runtime

import (
	"unsafe"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Data returns d's elements as []T sharing d's memory, without allocating
// (Dense.Data goes through reflection and allocates, and hides d's memory
// from the collector), or false if d holds another element type.
func Data[T float32 | float64](d *tensor.Dense) ([]T, bool) {
	var z T
	dt := d.Dtype()
	w, want := (*[2]unsafe.Pointer)(unsafe.Pointer(&dt.Type)), &floatWords[unsafe.Sizeof(z)/8]
	if w[0] != want[0] || w[1] != want[1] { // not ==, which calls memequal
		return nil, false
	}
	raw := d.Raw // the backing bytes
	return unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(raw))), len(raw)/int(unsafe.Sizeof(z))), true
}

// floatWords holds the two words of tensor.Float32's and tensor.Float64's
// reflect.Type, by element size / 8. Data compares a tensor's dtype with
// them instead of comparing the interfaces, which calls the runtime: a
// reflect.Type is a pointer, so equal types are equal words, and unequal
// words could at worst make a kernel decline, never accept another dtype.
var floatWords = [2][2]unsafe.Pointer{dtypeWords(tensor.Float32), dtypeWords(tensor.Float64)}

func dtypeWords(dt tensor.Dtype) [2]unsafe.Pointer {
	return *(*[2]unsafe.Pointer)(unsafe.Pointer(&dt.Type))
}

// Scalar returns the value of a Gorgonia float scalar, or false.
func Scalar(v gorgonia.Value) (float64, bool) {
	switch s := v.(type) {
	case *gorgonia.F32:
		return float64(*s), true
	case *gorgonia.F64:
		return float64(*s), true
	}
	return 0, false
}

// dense returns v as a contiguous dense tensor, or nil.
func dense(v gorgonia.Value) *tensor.Dense {
	d, ok := v.(*tensor.Dense)
	if !ok || d.IsView() {
		return nil
	}
	return d
}

// denseData returns v's elements when v is a contiguous dense tensor of
// element type T with n elements.
func denseData[T float32 | float64](v gorgonia.Value, n int) ([]T, bool) {
	d := dense(v)
	if d == nil {
		return nil, false
	}
	x, ok := Data[T](d)
	if !ok || len(x) != n {
		return nil, false
	}
	return x, true
}

// as32 and as64 view a []T of that element type as itself, without the
// allocation of a conversion through an interface.
func as32[T float32 | float64](s []T) []float32 {
	return unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(s))), len(s))
}

func as64[T float32 | float64](s []T) []float64 {
	return unsafe.Slice((*float64)(unsafe.Pointer(unsafe.SliceData(s))), len(s))
}

// isFloat32 reports whether T is float32.
func isFloat32[T float32 | float64]() bool {
	var z T
	_, ok := any(z).(float32)
	return ok
}

// size is the number of elements of a shape (1 for a scalar).
func size(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// sameMemory reports whether two values are dense tensors of one shape
// over the same memory.
func sameMemory(a, b gorgonia.Value) bool {
	x, ok1 := a.(*tensor.Dense)
	y, ok2 := b.(*tensor.Dense)
	return ok1 && ok2 && x.Shape().TotalSize() > 0 && x.Uintptr() == y.Uintptr() && x.Shape().Eq(y.Shape())
}

func markSeen(seen map[uintptr]bool, v gorgonia.Value) {
	if d, ok := v.(*tensor.Dense); ok && d.Shape().TotalSize() > 0 {
		seen[d.Uintptr()] = true
	}
	if p := scalarPtr(v); p != 0 {
		seen[p] = true
	}
}

// scalarPtr is the address of a scalar value's memory, or 0.
func scalarPtr(v gorgonia.Value) uintptr {
	switch s := v.(type) {
	case *gorgonia.F32:
		return uintptr(unsafe.Pointer(s))
	case *gorgonia.F64:
		return uintptr(unsafe.Pointer(s))
	}
	return 0
}

// freshScalar reports whether v is a scalar whose memory no input,
// parameter, constant or earlier node holds, nor any of args.
func freshScalar(seen map[uintptr]bool, v gorgonia.Value, args []gorgonia.Value) bool {
	p := scalarPtr(v)
	if p == 0 || seen[p] {
		return false
	}
	for _, a := range args {
		if scalarPtr(a) == p {
			return false
		}
	}
	return true
}
