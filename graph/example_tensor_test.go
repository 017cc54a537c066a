package graph_test

import (
	"fmt"

	"github.com/gornn/gornn/graph"
)

// A Tensor describes itself, shares its memory through Float32Data and
// Float64Data, and copies it out with Float64s and Clone.
func ExampleTensor() {
	x, err := graph.FromFloat64s(graph.Float32, []float64{1, 2, 3, 4, 5, 6}, 2, 3)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(x.Shape(), x.Dims(), x.Dim(1), x.Len(), x.DType())
	c := x.Clone()
	d, _ := graph.Float32Data(x) // x's own memory
	d[0] = 10
	fmt.Println(graph.Float64s(x), graph.Float64s(c))
	if _, ok := graph.Float64Data(x); !ok {
		fmt.Println("not a float64 tensor")
	}
	var empty *graph.Tensor
	fmt.Println(empty.Shape(), empty.Len(), empty.DType(), empty)
	// Output:
	// (2, 3) 2 3 6 float32
	// [10 2 3 4 5 6] [1 2 3 4 5 6]
	// not a float64 tensor
	// () 0 DType(-1) <nil>
}
