package graph

import "github.com/gornn/gornn/graph/internal/runtime"

// Float32Data returns t's elements as a []float32 sharing t's memory, or
// false when t is not a float32 tensor. Float64Data is its float64 twin.
//
// Writing to the slice writes t. The slice keeps t's memory alive: it
// slices t's backing bytes directly, a pointer the collector sees from
// start to end (unlike Gorgonia's Dense.Data, which graph never calls: it
// builds its slice from the memory's address held as a uintptr, and could
// return freed memory; see docs/architecture.md, "Memory that must stay
// visible to the collector").
func Float32Data(t *Tensor) ([]float32, bool) {
	if t.dense() == nil {
		return nil, false
	}
	return runtime.Data[float32](t.d)
}

// Float64Data is Float32Data for float64 tensors.
func Float64Data(t *Tensor) ([]float64, bool) {
	if t.dense() == nil {
		return nil, false
	}
	return runtime.Data[float64](t.d)
}
