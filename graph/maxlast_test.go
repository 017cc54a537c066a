package graph_test

import (
	"slices"
	"testing"

	"github.com/gornn/gornn/graph"
)

// TestMaxLast checks the row maximum over odd and even widths, and its
// spread back to the width.
func TestMaxLast(t *testing.T) {
	for c := 1; c <= 7; c++ {
		data := make([]float64, 2*c)
		want := []float64{-1e9, -1e9}
		for i := range data {
			data[i] = float64((i*37)%11) - 5
			want[i/c] = max(want[i/c], data[i])
		}
		b := must(graph.NewBuilder(graph.Float64, 2))
		x := b.Input("x", 2, c)
		m := b.MaxLast(x)
		p := must(b.Compile(graph.Spec{Outputs: []*graph.Node{m, b.SpreadLast(m, c)}}))
		e := p.NewExecutor()
		if err := e.SetInput(0, must(graph.FromFloat64s(graph.Float64, data, 2, c))); err != nil {
			t.Fatal(err)
		}
		if err := e.Run(); err != nil {
			t.Fatal(err)
		}
		if got := graph.Float64s(must(e.Output(0))); !slices.Equal(got, want) {
			t.Errorf("C=%d: max %v, want %v", c, got, want)
		}
		var spread []float64
		for _, v := range want {
			for range c {
				spread = append(spread, v)
			}
		}
		if got := graph.Float64s(must(e.Output(1))); !slices.Equal(got, spread) {
			t.Errorf("C=%d: spread %v, want %v", c, got, spread)
		}
	}
}
