package graph

import (
	"github.com/gornn/gornn/graph/internal/runtime"
	"gorgonia.org/tensor"
)

// Float32Data returns t's elements as a []float32 sharing t's memory, or
// false when t is not a float32 tensor. Float64Data is its float64 twin.
//
// Use these rather than t.Data(). Gorgonia's Dense.Data builds its slice
// through reflect.SliceHeader from the address of t's memory held as a
// uintptr, and allocates (boxing the slice in an interface) before the slice
// exists. When that call is the last use of t, as in `return y.Data()`, the
// collector may free t's memory during that allocation: the returned slice
// then reads freed memory, which the next allocation hands to someone else.
// These accessors slice t's backing bytes directly, a pointer the collector
// sees from start to end. See docs/architecture.md ("Memory that must stay
// visible to the collector").
func Float32Data(t *tensor.Dense) ([]float32, bool) {
	if t == nil {
		return nil, false
	}
	return runtime.Data[float32](t)
}

// Float64Data is Float32Data for float64 tensors.
func Float64Data(t *tensor.Dense) ([]float64, bool) {
	if t == nil {
		return nil, false
	}
	return runtime.Data[float64](t)
}
