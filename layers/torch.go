package layers

import (
	"fmt"
	"slices"

	"github.com/gornn/gornn/graph"
)

// The PyTorch counterparts of the built-in layers (TorchLayout): Dense is
// torch.nn.Linear; SimpleRNN, LSTM and GRU are one-layer torch.nn.RNN
// (nonlinearity tanh, or relu for a relu SimpleRNN; the state_dict does not
// say which: the architecture in the file's metadata does), LSTM and GRU
// modules with batch_first=True. docs/saving.md has
// the table.

// torchGRUOrder maps PyTorch's GRU gate blocks (r, z, n) to Keras' (z, r,
// h): PyTorch block k is Keras block torchGRUOrder[k]. LSTM gates i, f, c,
// o are PyTorch's i, f, g, o.
var torchGRUOrder = []int{1, 0, 2}

// ToTorch converts kernel [F, U] and bias [U] to torch.nn.Linear's weight
// [U, F] (the kernel transposed) and bias [U].
func (l *Dense) ToTorch(ws []Weight) ([]Weight, error) {
	if l != nil && !l.UseBias() {
		if len(ws) != 1 || len(ws[0].Shape) != 2 || len(ws[0].Data) != ws[0].Shape[0]*ws[0].Shape[1] {
			return nil, fmt.Errorf("%w: %s: dense weights without a bias must be kernel [F, U]", graph.ErrShape, l.Name())
		}
		f, u := ws[0].Shape[0], ws[0].Shape[1]
		return []Weight{{Name: "weight", Shape: []int{u, f}, Data: transpose(ws[0].Data, f, u)}}, nil
	}
	if len(ws) != 2 || len(ws[0].Shape) != 2 || !slices.Equal(ws[1].Shape, ws[0].Shape[1:]) ||
		len(ws[0].Data) != ws[0].Shape[0]*ws[0].Shape[1] || len(ws[1].Data) != ws[0].Shape[1] {
		return nil, fmt.Errorf("%w: %s: dense weights must be kernel [F, U] and bias [U]", graph.ErrShape, l.Name())
	}
	f, u := ws[0].Shape[0], ws[0].Shape[1]
	return []Weight{
		{Name: "weight", Shape: []int{u, f}, Data: transpose(ws[0].Data, f, u)},
		{Name: "bias", Shape: []int{u}, Data: slices.Clone(ws[1].Data)},
	}, nil
}

// FromTorch converts torch.nn.Linear's weight [U, F] and bias [U] to
// kernel [F, U] and bias [U].
func (l *Dense) FromTorch(ps []Weight) ([]Weight, error) {
	if l != nil && !l.UseBias() {
		if len(ps) != 1 || len(ps[0].Shape) != 2 || len(ps[0].Data) != ps[0].Shape[0]*ps[0].Shape[1] {
			return nil, fmt.Errorf("%w: %s: torch.nn.Linear(bias=False) parameters must be weight [U, F]", graph.ErrShape, l.Name())
		}
		u, f := ps[0].Shape[0], ps[0].Shape[1]
		return []Weight{{Name: "kernel", Shape: []int{f, u}, Data: transpose(ps[0].Data, u, f)}}, nil
	}
	if len(ps) != 2 || len(ps[0].Shape) != 2 || !slices.Equal(ps[1].Shape, ps[0].Shape[:1]) ||
		len(ps[0].Data) != ps[0].Shape[0]*ps[0].Shape[1] || len(ps[1].Data) != ps[0].Shape[0] {
		return nil, fmt.Errorf("%w: %s: torch.nn.Linear parameters must be weight [U, F] and bias [U]", graph.ErrShape, l.Name())
	}
	u, f := ps[0].Shape[0], ps[0].Shape[1]
	return []Weight{
		{Name: "kernel", Shape: []int{f, u}, Data: transpose(ps[0].Data, u, f)},
		{Name: "bias", Shape: []int{u}, Data: slices.Clone(ps[1].Data)},
	}, nil
}

// order returns the Keras block of each PyTorch gate block.
func (l *recurrent) order() []int {
	if l.torchOrder != nil {
		return l.torchOrder
	}
	o := make([]int, l.gates)
	for k := range o {
		o[k] = k
	}
	return o
}

// twoBiases reports whether the Keras bias has an input and a recurrent
// row (the GRU's [2, gU]), which PyTorch's bias_ih and bias_hh are.
func (l *recurrent) twoBiases() bool { return l.biasRows == 2*l.gates }

// configured returns an error for a nil or zero layer.
func (l *recurrent) configured() error {
	if l == nil || l.gates <= 0 || l.units <= 0 {
		return fmt.Errorf("%w: %s: not a configured layer (use its constructor)", ErrConfig, l.baseOf().Name())
	}
	return nil
}

// toTorch converts kernel [F, gU], recurrent_kernel [U, gU] and bias to
// weight_ih_l0 [gU, F], weight_hh_l0 [gU, U], bias_ih_l0 and bias_hh_l0
// [gU]: the kernels transposed, the gate blocks in PyTorch's order, and
// bias_hh zero unless the Keras bias has a recurrent row.
func (l *recurrent) toTorch(ws []Weight) ([]Weight, error) {
	if err := l.configured(); err != nil {
		return nil, err
	}
	g, u := l.gates, l.units
	gu := g * u
	if l.noBias {
		// PyTorch's bias=False: the two weights alone.
		if len(ws) != 2 || len(ws[0].Shape) != 2 || ws[0].Shape[1] != gu || len(ws[0].Data) != ws[0].Shape[0]*gu ||
			!slices.Equal(ws[1].Shape, []int{u, gu}) || len(ws[1].Data) != u*gu {
			return nil, fmt.Errorf("%w: %s: weights must be kernel [F, %d] and recurrent_kernel [%d, %d] (no bias)", graph.ErrShape, l.name, gu, u, gu)
		}
		f, order := ws[0].Shape[0], l.order()
		return []Weight{
			{Name: "weight_ih_l0", Shape: []int{gu, f}, Data: reorder(transpose(ws[0].Data, f, gu), u*f, order)},
			{Name: "weight_hh_l0", Shape: []int{gu, u}, Data: reorder(transpose(ws[1].Data, u, gu), u*u, order)},
		}, nil
	}
	if len(ws) != 3 || len(ws[0].Shape) != 2 || ws[0].Shape[1] != gu || len(ws[0].Data) != ws[0].Shape[0]*gu ||
		!slices.Equal(ws[1].Shape, []int{u, gu}) || len(ws[1].Data) != u*gu ||
		!slices.Equal(ws[2].Shape, l.kerasBiasShape()) || len(ws[2].Data) != l.biasRows*u {
		return nil, fmt.Errorf("%w: %s: weights must be kernel [F, %d], recurrent_kernel [%d, %d] and bias %v", graph.ErrShape, l.name, gu, u, gu, l.kerasBiasShape())
	}
	f, order := ws[0].Shape[0], l.order()
	var bih, bhh []float64
	if l.twoBiases() {
		bih, bhh = reorder(ws[2].Data[:gu], u, order), reorder(ws[2].Data[gu:], u, order)
	} else {
		bih, bhh = reorder(ws[2].Data, u, order), make([]float64, gu)
	}
	return []Weight{
		{Name: "weight_ih_l0", Shape: []int{gu, f}, Data: reorder(transpose(ws[0].Data, f, gu), u*f, order)},
		{Name: "weight_hh_l0", Shape: []int{gu, u}, Data: reorder(transpose(ws[1].Data, u, gu), u*u, order)},
		{Name: "bias_ih_l0", Shape: []int{gu}, Data: bih},
		{Name: "bias_hh_l0", Shape: []int{gu}, Data: bhh},
	}, nil
}

// fromTorch is the inverse of toTorch; a SimpleRNN's or LSTM's two
// PyTorch biases are summed (in float64) into its one Keras bias.
func (l *recurrent) fromTorch(ps []Weight) ([]Weight, error) {
	if err := l.configured(); err != nil {
		return nil, err
	}
	g, u := l.gates, l.units
	gu := g * u
	if l.noBias {
		if len(ps) != 2 || len(ps[0].Shape) != 2 || ps[0].Shape[0] != gu || len(ps[0].Data) != gu*ps[0].Shape[1] ||
			!slices.Equal(ps[1].Shape, []int{gu, u}) || len(ps[1].Data) != gu*u {
			return nil, fmt.Errorf("%w: %s: parameters must be weight_ih_l0 [%d, F] and weight_hh_l0 [%d, %d] (bias=False)", graph.ErrShape, l.name, gu, gu, u)
		}
		f := ps[0].Shape[1]
		inv := inverse(l.order())
		return []Weight{
			{Name: "kernel", Shape: []int{f, gu}, Data: transpose(reorder(ps[0].Data, u*f, inv), gu, f)},
			{Name: "recurrent_kernel", Shape: []int{u, gu}, Data: transpose(reorder(ps[1].Data, u*u, inv), gu, u)},
		}, nil
	}
	if len(ps) != 4 || len(ps[0].Shape) != 2 || ps[0].Shape[0] != gu || len(ps[0].Data) != gu*ps[0].Shape[1] ||
		!slices.Equal(ps[1].Shape, []int{gu, u}) || len(ps[1].Data) != gu*u ||
		!slices.Equal(ps[2].Shape, []int{gu}) || len(ps[2].Data) != gu ||
		!slices.Equal(ps[3].Shape, []int{gu}) || len(ps[3].Data) != gu {
		return nil, fmt.Errorf("%w: %s: parameters must be weight_ih_l0 [%d, F], weight_hh_l0 [%d, %d], bias_ih_l0 and bias_hh_l0 [%d]", graph.ErrShape, l.name, gu, gu, u, gu)
	}
	f := ps[0].Shape[1]
	order := l.order()
	inv := make([]int, len(order))
	for k, j := range order {
		inv[j] = k
	}
	var bias []float64
	if l.twoBiases() {
		bias = append(reorder(ps[2].Data, u, inv), reorder(ps[3].Data, u, inv)...)
	} else {
		bias = make([]float64, gu)
		for i := range bias {
			bias[i] = ps[2].Data[i] + ps[3].Data[i]
		}
		bias = reorder(bias, u, inv)
	}
	return []Weight{
		{Name: "kernel", Shape: []int{f, gu}, Data: transpose(reorder(ps[0].Data, u*f, inv), gu, f)},
		{Name: "recurrent_kernel", Shape: []int{u, gu}, Data: transpose(reorder(ps[1].Data, u*u, inv), gu, u)},
		{Name: "bias", Shape: l.kerasBiasShape(), Data: bias},
	}, nil
}

// inverse returns the inverse of a permutation.
func inverse(order []int) []int {
	inv := make([]int, len(order))
	for k, j := range order {
		inv[j] = k
	}
	return inv
}

// transpose returns the transpose of the row-major rows×cols matrix a.
func transpose(a []float64, rows, cols int) []float64 {
	out := make([]float64, len(a))
	for i := range rows {
		for j := range cols {
			out[j*rows+i] = a[i*cols+j]
		}
	}
	return out
}

// reorder returns a's blocks of n values rearranged: block k of the result
// is block order[k] of a.
func reorder(a []float64, n int, order []int) []float64 {
	out := make([]float64, 0, len(a))
	for _, j := range order {
		out = append(out, a[j*n:(j+1)*n]...)
	}
	return out
}
