package benchmarks

import "fmt"

// ProductFLOPs counts the floating-point operations of the matrix products
// in one pass of Sequential([kind(units), Dense(1)]) over a batch of
// [batch, steps, 1]: 2·m·n·k for every m×k by k×n product, as gornn
// computes them. Forward, each step multiplies the input [batch, 1] by
// the kernel [1, g·units] and, from the second step on, the state
// [batch, units] by the recurrent kernel [units, g·units] (g = 4 gates for
// the LSTM, 3 for the GRU, 1 for SimpleRNN; the zero initial state's
// product is left out, except in the GRU, whose reset-after form keeps
// it), and Dense(1) multiplies [batch, units] by [units, 1] at every step
// with returnSequences, at the last otherwise. With train, the gradient
// products are added: of each kernel (xᵀ·dz, hᵀ·dz) and of each state that
// reaches the loss (dz·Uᵀ, dy·Vᵀ); the input's gradient is not computed.
//
// The elementwise work (activations, gate arithmetic, the loss and the
// update) is left out: this is the arithmetic a BLAS would be credited
// with, the measure of how close a step comes to the processor's
// multiply-add peak.
func ProductFLOPs(k Kind, units, batch, steps int, returnSequences, train bool) float64 {
	gates, _ := k.gates()
	b, u, g := float64(batch), float64(units), float64(gates)
	t := float64(steps)
	rec := t - 1
	if k == GRU {
		rec = t
	}
	heads := 1.0
	if returnSequences {
		heads = t
	}
	input := 2 * b * 1 * g * u // [b,1]·[1,gu]
	recurrent := 2 * b * u * g * u
	head := 2 * b * u
	f := t*input + rec*recurrent + heads*head
	if train {
		// dW = xᵀ·dz and dU = hᵀ·dz per product, dh = dz·Uᵀ for each
		// recurrent product (the state it multiplies came from the step
		// before), and Dense's dV and dh.
		f += t*input + 2*rec*recurrent + 2*heads*head
	}
	return f
}

// WorkloadFLOPs returns the matrix-product FLOPs (ProductFLOPs) of a
// workload's timed region as defined: W1–W3 2,500 training steps of
// batch 8, W4 48 steps of batch 64 (LSTM(128), 50 steps, last state), W5
// 3,900 predictions of one window, W6 one prediction of 10,000 windows.
func WorkloadFLOPs(id string) (float64, error) {
	sine := func(k Kind) float64 { return 2500 * ProductFLOPs(k, 20, 8, 10, true, true) }
	switch id {
	case "W1":
		return sine(LSTM), nil
	case "W2":
		return sine(SimpleRNN), nil
	case "W3":
		return sine(GRU), nil
	case "W4":
		return 48 * ProductFLOPs(LSTM, 128, 64, 50, false, true), nil
	case "W5":
		return 100 * 39 * ProductFLOPs(LSTM, 20, 1, 10, true, false), nil
	case "W6":
		return ProductFLOPs(LSTM, 20, 10_000, 10, true, false), nil
	}
	return 0, fmt.Errorf("%w: %q", ErrUnknown, id)
}
