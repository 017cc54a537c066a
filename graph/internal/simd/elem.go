package simd

// elemPartWork is the fewest elements worth a part of their own in an
// elementwise kernel: about a microsecond of one core's work on operands
// in the cache, a few times what handing a part to a spinning worker
// costs.
const elemPartWork = 16384

// elemParts returns how many parts an elementwise pass over n ≥
// 2·elemPartWork elements is split into (1: not split). The kernels test
// n first, so that the many small calls pay one comparison.
func elemParts(n int) int {
	return min(Threads(), n/elemPartWork)
}

type elemKind int

const (
	vvKind elemKind = iota
	vsKind
	svKind
	sigmoidKind
	tanhKind
)

// elemArgs is one elementwise call split into parts of chunk elements, a
// multiple of 8. Every element goes through the same instructions
// wherever a part boundary falls: the arithmetic is IEEE float32's on
// either path, and the activations run every element through the
// eight-lane kernel (a short end in a padded block), so splitting changes
// no bit of dst.
type elemArgs struct {
	kind     elemKind
	op       Op
	dst, a   []float32
	b        []float32
	s        float32
	chunk, n int
}

func (e *elemArgs) part(p int) {
	lo := p * e.chunk
	hi := min(lo+e.chunk, e.n)
	dst, a := e.dst[lo:hi], e.a[lo:hi]
	switch e.kind {
	case vvKind:
		vv(e.op, dst, a, e.b[lo:hi])
	case vsKind:
		vs(e.op, dst, a, e.s)
	case svKind:
		sv(e.op, dst, e.s, a)
	case sigmoidKind:
		sigmoid(dst, a)
	case tanhKind:
		tanh(dst, a)
	}
}

// elemParallel runs an elementwise call in about parts parts; dst and the
// operands already checked.
func elemParallel(parts int, e elemArgs) {
	e.n = len(e.a)
	e.chunk = ((e.n+parts-1)/parts + 7) &^ 7
	parts = (e.n + e.chunk - 1) / e.chunk
	if parts < 2 {
		e.part(0)
		return
	}
	j := jobs.Get().(*job)
	j.parts, j.kind, j.elem = parts, elemJob, e
	j.run(parts - 1)
	j.elem = elemArgs{}
	jobs.Put(j)
}

// Splits reports whether an elementwise call (VV, VS, SV, Sigmoid, Tanh)
// over n elements is split across goroutines now: callers that would cut
// such a pass into small pieces keep it whole instead.
func Splits(n int) bool { return n >= 2*elemPartWork && elemParts(n) > 1 }
