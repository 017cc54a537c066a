package trainers

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/gornn/gornn/graph"
)

// ErrNotFiniteGrad reports a NaN or infinite gradient; no weight changed.
var ErrNotFiniteGrad = errors.New("gradient is not finite")

// The update works in place on the parameters' own memory, in their dtype:
// each weight is read, widened to float64, updated with the rule in
// float64 (as Keras' float64 reference and gornn's earlier round trip
// through float64 copies did, so the numbers are the same bit for bit),
// and written back rounded to the parameter's dtype. The slots (momentum,
// moments) are float64 vectors of the parameter's length, kept from step
// to step and saved as they are in checkpoints. A step makes three passes
// and allocates nothing once the slots exist:
//
//  1. every gradient is checked (shape, dtype, finite) and its squared
//     norm summed, for the clipping scales;
//  2. every would-be new weight is computed and checked finite in the
//     parameter's dtype (a float64 value beyond float32's range would be
//     an infinity in a float32 parameter), writing nothing;
//  3. only then are the weights and slots written, by the same arithmetic.
//
// Without clipping, a step skips the squares of pass 1 (no norms are
// needed) and checks the gradients' finiteness only when pass 2 finds an
// update that is not finite, which a gradient that is not finite always
// makes (apply): the step fails with the same error, and a step that
// succeeds makes two passes.
//
// So a step that fails changes no weight, slot or step count, without
// copies of the state to roll back to.

// float is the element type of a parameter or a gradient.
type float interface{ ~float32 | ~float64 }

type ruleKind int

const (
	ruleSGD ruleKind = iota
	ruleMomentum
	ruleNesterov
	ruleAdam
	ruleRMSprop
)

// rule is an optimizer step's update rule with its hyperparameters, and
// the gradient transform (clipping) of the parameter being updated.
type rule struct {
	kind ruleKind
	lr   float64 // SGD, momentum, Nesterov, RMSprop
	mom  float64 // momentum, Nesterov
	// Adam: alpha = lr·√(1-β2^t)/(1-β1^t).
	alpha, b1, b2 float64
	rho           float64 // RMSprop
	eps           float64 // Adam, RMSprop

	// scale multiplies the gradient (clipnorm, global_clipnorm; 1 when
	// off); clip bounds it to [-clip, clip] (clipvalue; 0 when off).
	scale, clip float64
}

// clipped returns the clipped gradient, as the earlier float64 copy of
// the gradients computed it: scaled (clipnorm or global_clipnorm; g·1 is
// g), then bounded to ±clip (clipvalue, when clip > 0). Only one of them is
// ever set.
//
// For the finite g it gets this is math.Max(-clip, math.Min(clip, g)),
// the earlier form, written so that it inlines.
func clipped(g, scale, clip float64) float64 {
	g *= scale
	if clip > 0 {
		if g > clip {
			g = clip
		} else if g < -clip {
			g = -clip
		}
	}
	return g
}

// slotNames returns the names of the slots the rule keeps per parameter.
func (r *rule) slotNames() []string {
	switch r.kind {
	case ruleMomentum, ruleNesterov:
		return momentumSlots
	case ruleAdam:
		return adamSlots
	case ruleRMSprop:
		return rmspropSlots
	}
	return nil
}

var (
	momentumSlots = []string{"momentum"}
	adamSlots     = []string{"m", "v"}
	rmspropSlots  = []string{"velocity"}
)

// notFinite is 0 for a finite x and NaN otherwise: sums of it stay 0
// exactly when every term is finite, without a branch per element.
func notFinite[W float](x W) float64 {
	f := float64(x)
	return f - f
}

// update applies r to one parameter: w its weights, g its gradient (at
// least len(w) values), s its slots (each len(w) values). With commit
// false it writes nothing and reports whether every new weight is finite
// in W; with commit true it writes the new weights and slots and returns
// true. Both compute the same values with the same operations.
func update[W, G float](r *rule, w []W, g []G, s [][]float64, commit bool) bool {
	g = g[:len(w)]
	scale, clip := r.scale, r.clip
	bad := 0.0
	switch r.kind {
	case ruleSGD:
		lr := r.lr
		if scale == 1 && clip <= 0 {
			// No clipping: clipped(g, 1, 0) is g itself, so these loops
			// compute what the general one does, without its per-element
			// branches (the seed workloads' update).
			if commit {
				for j := range w {
					w[j] = W(float64(w[j]) - lr*float64(g[j]))
				}
				return true
			}
			for j := range w {
				bad += notFinite(W(float64(w[j]) - lr*float64(g[j])))
			}
			return bad == 0
		}
		for j := range w {
			nw := W(float64(w[j]) - lr*clipped(float64(g[j]), scale, clip))
			if commit {
				w[j] = nw
			} else {
				bad += notFinite(nw)
			}
		}
	case ruleMomentum, ruleNesterov:
		lr, mom, nesterov := r.lr, r.mom, r.kind == ruleNesterov
		v := s[0][:len(w)]
		for j := range w {
			gj := clipped(float64(g[j]), scale, clip)
			vj := mom*v[j] - lr*gj
			var nw W
			if nesterov {
				nw = W(float64(w[j]) + (mom*vj - lr*gj))
			} else {
				nw = W(float64(w[j]) + vj)
			}
			if commit {
				v[j], w[j] = vj, nw
			} else {
				bad += notFinite(nw)
			}
		}
	case ruleAdam:
		alpha, c1, c2, eps := r.alpha, 1-r.b1, 1-r.b2, r.eps
		m, v := s[0][:len(w)], s[1][:len(w)]
		for j := range w {
			gj := clipped(float64(g[j]), scale, clip)
			mj := m[j] + (gj-m[j])*c1
			vj := v[j] + (gj*gj-v[j])*c2
			nw := W(float64(w[j]) - alpha*mj/(math.Sqrt(vj)+eps))
			if commit {
				m[j], v[j], w[j] = mj, vj, nw
			} else {
				bad += notFinite(nw)
			}
		}
	case ruleRMSprop:
		lr, rho, c, eps := r.lr, r.rho, 1-r.rho, r.eps
		v := s[0][:len(w)]
		for j := range w {
			gj := clipped(float64(g[j]), scale, clip)
			vj := rho*v[j] + c*gj*gj
			nw := W(float64(w[j]) - lr*gj/(math.Sqrt(vj)+eps))
			if commit {
				v[j], w[j] = vj, nw
			} else {
				bad += notFinite(nw)
			}
		}
	}
	return bad == 0
}

// updateParam runs update on p's weights and gradient g, both checked by
// checkGrads (float32 or float64, at least p.Len() values).
func updateParam(r *rule, p *graph.Param, g *graph.Tensor, s [][]float64, commit bool) bool {
	n := p.Len()
	if w, ok := graph.Float32Data(p.Value()); ok {
		return updateGrad(r, w[:n], g, s, commit)
	}
	w, _ := graph.Float64Data(p.Value())
	return updateGrad(r, w[:n], g, s, commit)
}

func updateGrad[W float](r *rule, w []W, g *graph.Tensor, s [][]float64, commit bool) bool {
	if d, ok := graph.Float32Data(g); ok {
		return update(r, w, d, s, commit)
	}
	d, _ := graph.Float64Data(g)
	return update(r, w, d, s, commit)
}

// sumSquares returns the sum of the squares of g's first n values and
// whether they are all finite; ok is false for a tensor that is not
// float32 or float64 or holds fewer than n values.
func sumSquares(g *graph.Tensor, n int) (sq float64, finite, ok bool) {
	if d, ok := graph.Float32Data(g); ok && len(d) >= n {
		sq, finite = sumSquaresOf(d[:n])
		return sq, finite, true
	}
	if d, ok := graph.Float64Data(g); ok && len(d) >= n {
		sq, finite = sumSquaresOf(d[:n])
		return sq, finite, true
	}
	return 0, false, false
}

func sumSquaresOf[G float](g []G) (sq float64, finite bool) {
	bad := 0.0
	for _, v := range g {
		f := float64(v)
		bad += f - f
		sq += f * f
	}
	return sq, bad == 0
}

// paramOK reports whether p's memory holds its Len values as float32 or
// float64.
func paramOK(p *graph.Param) bool {
	n := p.Len()
	if d, ok := graph.Float32Data(p.Value()); ok {
		return len(d) >= n
	}
	d, ok := graph.Float64Data(p.Value())
	return ok && len(d) >= n
}

// checkGrads checks the parameters and their gradients (count, shape,
// dtype and, unless deferred, that every value is finite) and sets
// o.scales[i], the clipping scale of gradient i. (A graph.Tensor is never
// a view, so the gradients are read as they are.) With deferred, the
// caller checks finiteness when an update is not finite (checkFinite);
// an error here is still preceded by that of an earlier gradient that is
// not finite, as without deferred.
func (o *base) checkGrads(params []*graph.Param, grads []*graph.Tensor, deferred bool) error {
	if len(params) != len(grads) {
		return fmt.Errorf("%w: %d gradients for %d parameters", graph.ErrShape, len(grads), len(params))
	}
	if cap(o.scales) < len(params) {
		o.scales = make([]float64, len(params))
	}
	scales := o.scales[:len(params)]
	var global float64
	for i, g := range grads {
		if err := checkGrad(params[i], g, i); err != nil {
			if deferred {
				if ferr := checkFinite(params[:i], grads[:i]); ferr != nil {
					return ferr
				}
			}
			return err
		}
		scales[i] = 1
		if deferred {
			continue
		}
		p := params[i]
		sq, finite, _ := sumSquares(g, p.Len())
		if !finite {
			return fmt.Errorf("%w: %s", ErrNotFiniteGrad, p.Name())
		}
		if c := o.h.clip.norm; c > 0 {
			if n := math.Sqrt(sq); n > c {
				scales[i] = c / n
			}
		}
		global += sq
	}
	if c := o.h.clip.global; c > 0 {
		if n := math.Sqrt(global); n > c {
			for i := range scales {
				scales[i] = c / n
			}
		}
	}
	return nil
}

// checkGrad checks parameter p (number i) and its gradient g: a float32
// or float64 parameter made by NewParam, and a float32 or float64
// gradient of its length.
func checkGrad(p *graph.Param, g *graph.Tensor, i int) error {
	if p == nil {
		return fmt.Errorf("%w: parameter %d is nil", graph.ErrArgument, i)
	}
	if !paramOK(p) {
		return fmt.Errorf("%w: parameter %q has no float32 or float64 value (not made by NewParam)", graph.ErrArgument, p.Name())
	}
	if g == nil || g.Len() != p.Len() {
		return fmt.Errorf("%w: gradient of %s does not match it", graph.ErrShape, p.Name())
	}
	if !gradOK(g, p.Len()) {
		return fmt.Errorf("%w: gradient of %s is not a float32 or float64 tensor", graph.ErrArgument, p.Name())
	}
	return nil
}

// gradOK reports whether g holds at least n float32 or float64 values.
func gradOK(g *graph.Tensor, n int) bool {
	if d, ok := graph.Float32Data(g); ok {
		return len(d) >= n
	}
	d, ok := graph.Float64Data(g)
	return ok && len(d) >= n
}

// checkFinite returns the error of the first gradient that is not
// finite, or nil; the gradients are ones checkGrad accepted.
func checkFinite(params []*graph.Param, grads []*graph.Tensor) error {
	for i, g := range grads {
		if _, finite, _ := sumSquares(g, params[i].Len()); !finite {
			return fmt.Errorf("%w: %s", ErrNotFiniteGrad, params[i].Name())
		}
	}
	return nil
}

// bind binds the optimizer to params, which must be distinct parameters
// with distinct names (the slots are keyed by name).
func (o *base) bind(params []*graph.Param) error {
	seen := make(map[string]bool, len(params))
	for _, p := range params {
		if seen[p.Name()] {
			return fmt.Errorf("%w: %s: parameter name %q is listed twice (an optimizer's slots are keyed by name)",
				graph.ErrArgument, o.h.kind, p.Name())
		}
		seen[p.Name()] = true
	}
	o.bound = slices.Clone(params)
	return nil
}

// slotsOf returns the slot vectors of the bound parameters, slot n of
// parameter i at i*len(names)+n, creating missing ones at zero. The list
// is cached until SetState replaces the slots.
func (o *base) slotsOf(params []*graph.Param, names []string) ([][]float64, error) {
	k := len(names)
	if o.state != nil && len(o.state) == k*len(params) {
		return o.state, nil
	}
	state := make([][]float64, k*len(params))
	for n, name := range names {
		for i, p := range params {
			s, err := o.slot(p, name)
			if err != nil {
				return nil, err
			}
			state[i*k+n] = s
		}
	}
	o.state = state
	return state, nil
}

// apply is one optimizer step with rule r (its scale and clip are set
// here): it checks the gradients and works out their clipping, binds the
// optimizer on its first step, gets each parameter's slots (created at
// zero), checks that every new weight is finite in its parameter's dtype,
// and only then writes the weights and slots and counts the step. A step
// that fails changes nothing (but slots it created stay, at zero); a
// non-finite gradient or update is an error wrapping ErrNotFiniteGrad.
func (o *base) apply(params []*graph.Param, grads []*graph.Tensor, r *rule) error {
	if err := o.checkBound(params); err != nil {
		return err
	}
	// Without clipping no rule needs squared norms, and a gradient that
	// is not finite makes its update not finite: a NaN stays one, and an
	// infinity makes SGD's w − lr·g and momentum's v an infinity (or a
	// NaN), and Adam's m/√v and RMSprop's g/√v ∞/∞, a NaN (their β1, β2,
	// ρ are below 1, so the new gradient counts). The gradients'
	// finiteness is then checked only when an update is not finite, and
	// the step fails with the error it would have had if they had been
	// checked first. (With clipvalue an infinite gradient is clipped to a
	// finite one, so clipping keeps the check first.)
	deferred := o.h.clip == (clipping{})
	if err := o.checkGrads(params, grads, deferred); err != nil {
		return err
	}
	if o.bound == nil {
		if err := o.bind(params); err != nil {
			return err
		}
	}
	if deferred && r.kind == ruleSGD {
		return o.sgdStep(params, grads, r.lr)
	}
	names := r.slotNames()
	state, err := o.slotsOf(params, names)
	if err != nil {
		return err
	}
	k := len(names)
	r.clip = o.h.clip.value
	for i, p := range params {
		r.scale = o.scales[i]
		if !updateParam(r, p, grads[i], state[i*k:(i+1)*k], false) {
			if deferred {
				if err := checkFinite(params, grads); err != nil {
					return err
				}
			}
			return fmt.Errorf("%w: the update of %s is not finite", ErrNotFiniteGrad, p.Name())
		}
	}
	for i, p := range params {
		r.scale = o.scales[i]
		updateParam(r, p, grads[i], state[i*k:(i+1)*k], true)
	}
	o.iter++
	return nil
}

// sgdStep is a step of plain SGD without clipping: every parameter's new
// weights w − lr·g are computed once, into the optimizer's buffers, and
// copied over the weights only when all of them are finite, instead of
// being computed twice (once to check, once to write). The numbers are
// update's; a step that fails changes nothing, with the same errors.
func (o *base) sgdStep(params []*graph.Param, grads []*graph.Tensor, lr float64) error {
	if len(o.next32) < len(params) {
		o.next32 = append(o.next32, make([][]float32, len(params)-len(o.next32))...)
		o.next64 = append(o.next64, make([][]float64, len(params)-len(o.next64))...)
	}
	for i, p := range params {
		n := p.Len()
		var ok bool
		if w, is32 := graph.Float32Data(p.Value()); is32 {
			o.next32[i] = growFloats(o.next32[i], n)
			ok = sgdInto(o.next32[i], w[:n], grads[i], lr)
		} else {
			w, _ := graph.Float64Data(p.Value())
			o.next64[i] = growFloats(o.next64[i], n)
			ok = sgdInto(o.next64[i], w[:n], grads[i], lr)
		}
		if !ok {
			if err := checkFinite(params, grads); err != nil {
				return err
			}
			return fmt.Errorf("%w: the update of %s is not finite", ErrNotFiniteGrad, p.Name())
		}
	}
	for i, p := range params {
		n := p.Len()
		if w, is32 := graph.Float32Data(p.Value()); is32 {
			copy(w[:n], o.next32[i])
		} else {
			w, _ := graph.Float64Data(p.Value())
			copy(w[:n], o.next64[i])
		}
	}
	o.iter++
	return nil
}

// sgdInto sets nw to the weights w − lr·g (update's arithmetic) and
// reports whether they are all finite in W.
func sgdInto[W float](nw, w []W, g *graph.Tensor, lr float64) bool {
	if d, ok := graph.Float32Data(g); ok {
		if n32, ok := any(nw).([]float32); ok && sgdVector && len(w) >= 4 {
			return sgd32(n32, any(w).([]float32), d[:len(w)], lr)
		}
		return sgdOf(nw, w, d[:len(w)], lr)
	}
	d, _ := graph.Float64Data(g)
	return sgdOf(nw, w, d[:len(w)], lr)
}

// sgdOf is sgdInto's loop, four weights at a time with a finiteness sum
// each (independent additions, not one chain through every weight); a
// sum is 0 exactly when its weights are all finite, so the answer is the
// one sum's.
func sgdOf[W, G float](nw, w []W, g []G, lr float64) bool {
	nw, g = nw[:len(w)], g[:len(w)]
	var b0, b1, b2, b3 float64
	j := 0
	for ; j+4 <= len(w); j += 4 {
		wj, gj, nj := w[j:j+4:j+4], g[j:j+4:j+4], nw[j:j+4:j+4]
		v0 := W(float64(wj[0]) - lr*float64(gj[0]))
		v1 := W(float64(wj[1]) - lr*float64(gj[1]))
		v2 := W(float64(wj[2]) - lr*float64(gj[2]))
		v3 := W(float64(wj[3]) - lr*float64(gj[3]))
		nj[0], nj[1], nj[2], nj[3] = v0, v1, v2, v3
		b0 += notFinite(v0)
		b1 += notFinite(v1)
		b2 += notFinite(v2)
		b3 += notFinite(v3)
	}
	for ; j < len(w); j++ {
		v := W(float64(w[j]) - lr*float64(g[j]))
		nw[j] = v
		b0 += notFinite(v)
	}
	return (b0+b1)+(b2+b3) == 0
}

// sgd32 is sgdOf for float32 weights and gradients, len(w) ≥ 4, the
// first len(w) &^ 3 in assembly (sgdAVX) and the rest in Go: the same
// new weights and the same answer.
func sgd32(nw, w, g []float32, lr float64) bool {
	n := len(w) &^ 3
	nw, g = nw[:len(w)], g[:len(w)]
	bad := sgdAVX(&nw[0], &w[0], &g[0], n, lr)
	for j := n; j < len(w); j++ {
		v := float32(float64(w[j]) - lr*float64(g[j]))
		nw[j] = v
		bad += notFinite(v)
	}
	return bad == 0
}

// growFloats returns b with length n, reallocated when it is shorter.
func growFloats[T float](b []T, n int) []T {
	if cap(b) < n {
		return make([]T, n)
	}
	return b[:n]
}
