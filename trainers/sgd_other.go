//go:build !amd64

package trainers

// sgdVector is false where there is no assembly: sgdOf's Go loop runs.
var sgdVector = false

func sgdAVX(nw, w, grad *float32, n int, lr float64) float64 {
	panic("trainers: no assembly on this architecture")
}
