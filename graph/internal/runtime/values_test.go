package runtime

import (
	"testing"

	"gorgonia.org/tensor"
)

// TestDataDtype: Data gives the elements of a tensor of its element type
// only, whatever other dtype the tensor has (the check compares the
// dtype's words, not the interfaces).
func TestDataDtype(t *testing.T) {
	for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64, tensor.Int32, tensor.Int64, tensor.Uint32, tensor.Int, tensor.Bool, tensor.Complex64} {
		d := tensor.New(tensor.Of(dt), tensor.WithShape(2, 3))
		_, ok32 := Data[float32](d)
		_, ok64 := Data[float64](d)
		if ok32 != (dt == tensor.Float32) || ok64 != (dt == tensor.Float64) {
			t.Errorf("%v: Data[float32] %v, Data[float64] %v", dt, ok32, ok64)
		}
	}
	x, ok := Data[float32](tensor.New(tensor.WithShape(3), tensor.WithBacking([]float32{1, 2, 3})))
	if !ok || len(x) != 3 || x[2] != 3 {
		t.Errorf("float32 data %v, %v", x, ok)
	}
}
