// Package graph is the only part of gornn that talks to Gorgonia. It turns
// layer code into a compiled, differentiable program and runs it.
//
// Layers and models above it never see a Gorgonia node, machine, solver
// or tensor; they write their maths with a [Builder] and get a [Program]
// back, and data, weights, outputs and gradients are gornn's own [Tensor].
// Everything that must be right for Gorgonia to behave lives here: unique
// hierarchical node names, dtype-matched constants, seeded initializers,
// gradients from gorgonia.Grad, and the workarounds for Gorgonia's bugs.
//
// # Life cycle
//
//   - A [Param] is a trainable tensor with a name such as "lstm/kernel".
//     It is made once, by [NewParam] with a seeded [Initializer] and an
//     [RNG], and outlives any graph.
//   - A [Builder] builds one expression graph for one batch size and one
//     [DType]. Its operations (MatMul, AddBias, Sigmoid, Tanh, Mul, Add,
//     Steps, Stack, ...) return [Node] values and never panic: the first
//     error is kept in [Builder.Err] and later operations return nil, so
//     layer code reads as straight-line maths with a single error check.
//   - [Builder.Compile] turns the graph into a [Program]: it adds, on
//     request, the gradient of a scalar loss with respect to every bound
//     parameter and to the inputs (gorgonia.Grad), and translates the
//     graph once into the op list of gornn's runtime (the internal package
//     graph/internal/runtime), each op with its kernel picked then.
//   - An [Executor] runs a Program. It validates inputs (shape, dtype,
//     finiteness) before copying them in, and returns a failure inside an
//     op, panics included, as an error wrapping [ErrGraph].
//
// A Program is immutable and safe for concurrent use; each goroutine runs
// it through its own Executor. Parameters are bound by reference, so the
// Programs built for different batch sizes share one copy of the weights,
// and an update made in place is seen by all of them.
//
// # Tensors
//
// A [Tensor] is a dense, row-major array of float32 or float64 values,
// used through pointers, like gonum's mat.Dense: [NewTensor] and
// [FromFloat64s] make one; Shape, Dims, Dim, Len, DType and Clone describe
// and copy it; [Float32Data] and [Float64Data] give its values, sharing its
// memory, and [Float64s] and [AppendFloat64s] copy them out; [CheckFinite],
// [SampleRange] and [SampleIndex] check and cut it. It wraps the array the
// runtime computes on, so passing it to an [Executor] copies nothing
// beyond the documented copies. A nil *Tensor and a zero Tensor are empty,
// and nothing panics on them.
//
//	x, _ := graph.FromFloat64s(graph.Float32, []float64{1, 2, 3, 4, 5, 6}, 2, 3)
//	fmt.Println(x.Shape(), x.Len(), x.DType()) // (2, 3) 6 float32
//	d, _ := graph.Float32Data(x)                // [1 2 3 4 5 6], x's memory
//
// # Shapes
//
// Every shape is batch first. A sequence is [batch, time, features]. A
// sequence made by [Builder.SequenceInput] or [Builder.Stack] is kept as
// its time steps, one [batch, features] node each, and elementwise
// operations, MatMul and AddBias on it work step by step; the joined
// [batch, time, features] node is only built if something asks for it
// (Reshape, Concat, a whole-tensor reduction along an axis).
//
// # Usage
//
//	w, _ := graph.NewParam("dense/kernel", graph.Float64, []int{3, 2}, graph.GlorotUniform(), graph.NewRNG(1))
//	b, _ := graph.NewBuilder(graph.Float64, 4) // batches of 4
//	x := b.Input("x", 4, 3)
//	y := b.Input("y", 4, 2)
//	pred := b.Tanh(b.MatMul(x, b.Param(w)))
//	loss := b.Mean(b.Square(b.Sub(pred, y)))
//	prog, err := b.Compile(graph.Spec{Outputs: []*graph.Node{pred}, Loss: loss, Grads: true})
//	if err != nil { ... }
//	e := prog.NewExecutor()
//	_ = e.SetInput(0, xData) // [4, 3]
//	_ = e.SetInput(1, yData) // [4, 2]
//	if err := e.Run(); err != nil { ... }
//	l, _ := e.Loss()
//	grads, _ := e.Grads([]*graph.Param{w})
//
// # Gorgonia's slice merging
//
// Gorgonia hashes the bounds of a slice as single bytes and merges graph
// nodes of equal hash, so x[0:128] and x[256:384] of one node, or steps t
// and t+256, silently become one node; the gradient of a concat slices the
// same way. [Builder.Slice] and [Builder.Index] take bounds above 255 in two
// steps, and the joins of steps and [Builder.Concat] are built so that no
// two gradient slices can be confused. Recurrent layers avoid slicing
// altogether: gate weights are separate blocks ([Builder.ParamBlock]) and
// sequences are fed step by step.
//
// # Errors
//
// Errors wrap the sentinels [ErrShape], [ErrDType], [ErrNotFinite],
// [ErrArgument] and [ErrGraph], for errors.Is.
package graph
