package graph

import (
	"fmt"
	"slices"

	"github.com/gornn/gornn/graph/internal/runtime"
	"github.com/gornn/gornn/graph/internal/simd"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Executor runs a Program. It holds the value of every node of the last
// run, so one executor serves one goroutine at a time; make one per
// goroutine with Program.NewExecutor.
//
// It runs the program's op list on a machine of gornn's runtime
// (graph/internal/runtime) instead of a Gorgonia TapeMachine: a panic
// inside an op is recovered and returned as an error, and no state is left
// that a later run must reset.
type Executor struct {
	p   *Program
	m   *runtime.Machine
	in  [][]*tensor.Dense // per input: its node values (one, or one per step)
	ran bool
}

// NewExecutor returns an executor with its own input buffers.
func (p *Program) NewExecutor() *Executor {
	e := &Executor{p: p, m: p.rt.NewMachine()}
	for _, in := range p.inputs {
		var bufs []*tensor.Dense
		if in.steps != nil {
			for _, s := range in.steps {
				t := NewTensor(p.dt, in.shape[0], in.shape[2]).d
				e.m.Set(s, t)
				bufs = append(bufs, t)
			}
		} else {
			t := NewTensor(p.dt, in.shape...).d
			e.m.Set(in.slot, t)
			bufs = append(bufs, t)
		}
		e.in = append(e.in, bufs)
	}
	for _, pp := range p.params {
		// A header of its own over the shared data: Gorgonia's matrix
		// products transpose an operand in place (and back), which would
		// race between executors sharing the parameter's header.
		e.m.Set(pp.slot, pp.value.ShallowClone())
	}
	return e
}

// Program returns the program e runs.
func (e *Executor) Program() *Program { return e.p }

// SetInput copies t into input i after checking its shape, dtype and that
// every value is finite. t's dtype may differ from the program's; values
// are converted.
func (e *Executor) SetInput(i int, x *Tensor) error {
	if i < 0 || i >= len(e.p.inputs) {
		return fmt.Errorf("%w: input %d of %d", ErrArgument, i, len(e.p.inputs))
	}
	in := e.p.inputs[i]
	t := x.dense()
	if t == nil {
		return fmt.Errorf("%w: input %s is nil", ErrArgument, in.name)
	}
	if _, err := denseDType(t); err != nil {
		return fmt.Errorf("input %s: %w", in.name, err)
	}
	if !slices.Equal([]int(t.Shape()), in.shape) {
		return fmt.Errorf("%w: input %s has shape %v, want %v", ErrShape, in.name, []int(t.Shape()), in.shape)
	}
	if t.IsView() {
		t = t.Materialize().(*tensor.Dense)
	}
	if k := firstNonFinite(t); k >= 0 {
		return fmt.Errorf("%w: input %s at flat index %d", ErrNotFinite, in.name, k)
	}
	if in.steps == nil {
		copyInto(e.in[i][0], t)
	} else {
		scatterSteps(e.in[i], t, in.shape)
	}
	return nil
}

// scatterSteps copies x [B, T, F] into T step buffers [B, F].
func scatterSteps(steps []*tensor.Dense, x *tensor.Dense, shape []int) {
	switch src := anyData(x).(type) {
	case []float32:
		scatterFrom(steps, src, shape)
	case []float64:
		scatterFrom(steps, src, shape)
	}
}

func scatterFrom[S float32 | float64](steps []*tensor.Dense, src []S, shape []int) {
	for t := range shape[1] {
		switch d := anyData(steps[t]).(type) {
		case []float32:
			moveStep(d, src, shape, t, true)
		case []float64:
			moveStep(d, src, shape, t, true)
		}
	}
}

// moveStep copies, converting the element type, step t of a sequence seq
// [B, T, F] into step [B, F] (toStep), or step into step t of seq.
func moveStep[D, S float32 | float64](step []D, seq []S, shape []int, t int, toStep bool) {
	B, T, F := shape[0], shape[1], shape[2]
	if F == 1 {
		// One feature (a series): a strided copy, one loop each way.
		step, seq = step[:B], seq[t:]
		if B > 0 {
			_ = seq[(B-1)*T] // within its length, not only its capacity
			seq = seq[:(B-1)*T+1]
		}
		k := 0
		if toStep {
			for b := range step {
				step[b] = D(seq[k])
				k += T
			}
			return
		}
		for b := range step {
			seq[k] = S(step[b])
			k += T
		}
		return
	}
	for b := range B {
		s := seq[(b*T+t)*F : (b*T+t+1)*F]
		d := step[b*F : (b+1)*F]
		if toStep {
			for f, v := range s {
				d[f] = D(v)
			}
			continue
		}
		for f, v := range d {
			s[f] = S(v)
		}
	}
}

// FloatView reads a float32 or float64 slice as float64 without copying.
type FloatView struct {
	f32 []float32
	f64 []float64
}

// At returns element i as float64.
func (v FloatView) At(i int) float64 {
	if v.f32 != nil {
		return float64(v.f32[i])
	}
	return v.f64[i]
}

// Float64sView returns an accessor over t's data (one that reads nothing
// for an empty Tensor).
func Float64sView(t *Tensor) FloatView {
	if t.dense() == nil {
		return FloatView{}
	}
	return floatView(t.d)
}

func floatView(t *tensor.Dense) FloatView {
	switch d := anyData(t).(type) {
	case []float32:
		return FloatView{f32: d}
	case []float64:
		return FloatView{f64: d}
	}
	return FloatView{}
}

// Run evaluates the program on the inputs set last. A failure inside an op,
// including a panic, is returned as an error wrapping ErrGraph.
//
// The first run calls every op and notes which nodes produce values of
// their own; from then on those nodes are computed in place, by the
// runtime's kernels where Compile picked one (also on the first run, so
// every run computes the same numbers) or through the op's preallocating
// form.
func (e *Executor) Run() error {
	e.ran = false
	if err := e.m.Run(); err != nil {
		return fmt.Errorf("%w: %v", ErrGraph, err)
	}
	e.ran = true
	return nil
}

// slotValue is the value of a slot of the last successful run.
func (e *Executor) slotValue(slot int) (gorgonia.Value, error) {
	if !e.ran {
		return nil, fmt.Errorf("%w: no successful run yet", ErrGraph)
	}
	v, err := e.m.Value(slot)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrGraph, err)
	}
	return v, nil
}

// read returns the value of a slot of the last run without copying it
// (a view is materialized): for reading only, before the next run.
func (e *Executor) read(slot int) (*tensor.Dense, error) {
	v, err := e.slotValue(slot)
	if err != nil {
		return nil, err
	}
	if d, ok := v.(*tensor.Dense); ok && !d.IsView() {
		return d, nil
	}
	return e.value(slot)
}

func (e *Executor) value(slot int) (*tensor.Dense, error) {
	val, err := e.slotValue(slot)
	if err != nil {
		return nil, err
	}
	switch v := val.(type) {
	case *tensor.Dense:
		if v.IsView() {
			return v.Materialize().(*tensor.Dense), nil
		}
		return v.Clone().(*tensor.Dense), nil
	case *gorgonia.F32:
		return tensor.New(tensor.WithShape(1), tensor.WithBacking([]float32{float32(*v)})), nil
	case *gorgonia.F64:
		return tensor.New(tensor.WithShape(1), tensor.WithBacking([]float64{float64(*v)})), nil
	}
	return nil, fmt.Errorf("%w: unexpected value %T", ErrGraph, val)
}

// Output returns a copy of output i of the last run.
func (e *Executor) Output(i int) (*Tensor, error) {
	if i < 0 || i >= len(e.p.outputs) {
		return nil, fmt.Errorf("%w: output %d of %d", ErrArgument, i, len(e.p.outputs))
	}
	o := e.p.outputs[i]
	if o.steps != nil {
		return wrapErr(e.gatherSteps(o.steps, o.shape))
	}
	v, err := e.value(o.slot)
	if err != nil {
		return nil, err
	}
	if err := v.Reshape(o.shape...); err != nil {
		return nil, fmt.Errorf("%w: output %d: %v", ErrGraph, i, err)
	}
	return wrap(v), nil
}

// gatherSteps assembles step values [B, F] (slot -1: zeros) into a
// sequence [B, T, F].
func (e *Executor) gatherSteps(slots []int, shape []int) (*tensor.Dense, error) {
	B, F := shape[0], shape[2]
	out := NewTensor(e.p.dt, shape...).d
	for t, s := range slots {
		if s < 0 {
			continue
		}
		val, err := e.slotValue(s)
		if err != nil {
			return nil, err
		}
		g, ok := val.(*tensor.Dense)
		if !ok {
			return nil, fmt.Errorf("%w: unexpected value %T", ErrGraph, val)
		}
		if g.IsView() {
			g = g.Materialize().(*tensor.Dense)
		}
		if g.Shape().TotalSize() != B*F {
			return nil, fmt.Errorf("%w: step %d has shape %v, want [%d %d]", ErrGraph, t, g.Shape(), B, F)
		}
		switch seq := anyData(out).(type) {
		case []float32:
			gatherStep(seq, g, shape, t)
		case []float64:
			gatherStep(seq, g, shape, t)
		}
	}
	return out, nil
}

// gatherStep copies step value g [B, F] into step t of seq [B, T, F].
func gatherStep[S float32 | float64](seq []S, g *tensor.Dense, shape []int, t int) {
	switch d := anyData(g).(type) {
	case []float32:
		moveStep(d, seq, shape, t, false)
	case []float64:
		moveStep(d, seq, shape, t, false)
	}
}

// Loss returns the loss of the last run.
func (e *Executor) Loss() (float64, error) {
	if e.p.loss < 0 {
		return 0, fmt.Errorf("%w: program has no loss", ErrArgument)
	}
	lv, err := e.slotValue(e.p.loss)
	if err != nil {
		return 0, err
	}
	if f, ok := runtime.Scalar(lv); ok {
		return f, nil // read in place: the loss is read every step
	}
	v, err := e.read(e.p.loss)
	if err != nil {
		return 0, err
	}
	return floatView(v).At(0), nil
}

// Grads returns the gradient of the loss with respect to each of params,
// in that order, each shaped like its parameter. Parameters bound block by
// block have their blocks assembled; a parameter the program does not read
// gets a zero gradient.
func (e *Executor) Grads(params []*Param) ([]*Tensor, error) {
	return e.GradsInto(nil, params)
}

// GradsInto is Grads writing into the tensors of dst where they fit (the
// parameter's shape and the program's dtype) and returning them, so that
// a training loop can keep one set of gradient tensors instead of
// allocating them every step; tensors that do not fit, or are missing,
// are allocated. The caller must not keep the returned tensors across
// calls that reuse them.
func (e *Executor) GradsInto(dst []*Tensor, params []*Param) ([]*Tensor, error) {
	out := dst
	if len(out) < len(params) {
		out = make([]*Tensor, len(params))
		copy(out, dst)
	}
	out = out[:len(params)]
	for i, p := range params {
		if p == nil || p.value == nil {
			return nil, fmt.Errorf("%w: parameter %d is nil", ErrArgument, i)
		}
		// p.value's own shape, not p.Shape(): that copies, every step.
		shape := []int(p.value.d.Shape())
		if t := out[i].dense(); t != nil && t.Dtype() == e.p.dt.tensorDtype() && !t.IsView() && slices.Equal([]int(t.Shape()), shape) {
			zero(t)
			continue
		}
		t, err := NewTensorChecked(e.p.dt, shape...)
		if err != nil {
			return nil, err
		}
		out[i] = t
	}
	for _, pp := range e.p.params {
		// A parameter listed twice gets its gradient in its last place
		// (and zeros in the others), as Grads always did.
		i := lastIndex(params, pp.param)
		if i < 0 {
			continue
		}
		if pp.grad == zeroGradSlot {
			continue // the loss does not read it: out[i] stays zero
		}
		if pp.grad < 0 {
			return nil, fmt.Errorf("%w: program has no gradient for %s", ErrArgument, pp.param.name)
		}
		g, err := e.read(pp.grad)
		if err != nil {
			return nil, err
		}
		n := g.Shape().TotalSize()
		if n != pp.value.Shape().TotalSize() {
			return nil, fmt.Errorf("%w: gradient of %s has %d values, want %d", ErrGraph, pp.param.name, n, pp.value.Shape().TotalSize())
		}
		off := 0
		if pp.block >= 0 {
			off = pp.block * n
		}
		addAt(out[i].d, off, g)
	}
	return out, nil
}

// lastIndex is the last position of p in ps, or -1.
func lastIndex(ps []*Param, p *Param) int {
	for i := len(ps) - 1; i >= 0; i-- {
		if ps[i] == p {
			return i
		}
	}
	return -1
}

// addAt adds src's data into dst's data starting at flat offset off.
func addAt(dst *tensor.Dense, off int, src *tensor.Dense) {
	n := src.Shape().TotalSize()
	if d, ok := runtime.Data[float32](dst); ok {
		if sd, ok := runtime.Data[float32](src); ok && !src.IsView() {
			d = d[off : off+n]
			simd.VV(simd.Add, d, d, sd[:n]) // d[i] += sd[i], the same IEEE additions
			return
		}
	}
	s := floatView(src)
	switch d := anyData(dst).(type) {
	case []float32:
		for i := range n {
			d[off+i] += float32(s.At(i))
		}
	case []float64:
		for i := range n {
			d[off+i] += s.At(i)
		}
	}
}

// zero sets a float32 or float64 tensor's elements to 0.
func zero(t *tensor.Dense) {
	if d, ok := runtime.Data[float32](t); ok {
		clear(d)
	} else if d, ok := runtime.Data[float64](t); ok {
		clear(d)
	}
}

// InputGrad returns the gradient of the loss with respect to input i,
// shaped like the input.
func (e *Executor) InputGrad(i int) (*Tensor, error) {
	if i < 0 || i >= len(e.p.inputs) {
		return nil, fmt.Errorf("%w: input %d of %d", ErrArgument, i, len(e.p.inputs))
	}
	in := e.p.inputs[i]
	if in.steps == nil {
		if in.grad == zeroGradSlot {
			if !e.ran {
				return nil, fmt.Errorf("%w: no successful run yet", ErrGraph)
			}
			return NewTensorChecked(e.p.dt, in.shape...)
		}
		if in.grad < 0 {
			return nil, fmt.Errorf("%w: program has no gradient for input %s", ErrArgument, in.name)
		}
		return wrapErr(e.value(in.grad))
	}
	if in.stepGrads == nil {
		return nil, fmt.Errorf("%w: program has no gradient for input %s", ErrArgument, in.name)
	}
	return wrapErr(e.gatherSteps(in.stepGrads, in.shape))
}
