// Package runtime is gornn's runtime: the op list a compiled program runs,
// the kernels that run its ops, and the loop that runs them.
//
// The seam with package graph is Compile. Graph builds the Gorgonia graph
// (the forward maths from the builder, the gradients from gorgonia.Grad)
// and hands its roots, inputs and parameters to Compile. Compile orders the
// nodes once (each after the nodes it reads, only what the roots need) and
// translates each Gorgonia op into an op of the list: the slots it reads
// and a typed kernel with its operands' shapes, strides, slice bounds and
// transpositions resolved (translate is the one function that knows
// Gorgonia's op names). A pass over the list then lets the additions of a
// bias read the bias row instead of its broadcast, and marks the products
// whose transposed operand is made once per run. A last pass (fuse.go)
// groups chains of elementwise ops of one size (a cell step's gates and
// state update, and the ops gorgonia.Grad builds for their gradients)
// into groups the machine runs as one loop over blocks of elements, each
// op still computing its own value with its own arithmetic, so fused and
// unfused programs agree bit for bit (GORNN_FUSION=off at Compile turns
// the pass off); members that only other members read are computed in
// scratch blocks and not written. Before it, the sums of slice gradients
// that only their sum reads are assembled in place (assemble.go), and a
// product that only an addition reads is grouped with it (gemmadd.go: the
// product computed a tile of rows at a time and added while in the cache,
// with the bias row and the column slices of the result where they are
// its only readers, the sum written over its other operand where only the
// sum reads that). An op translate does not know keeps no kernel and runs
// Gorgonia's own Do.
//
// A Machine runs a Program. Its first run calls every Gorgonia op, notes
// which values are the node's own memory (and which merely alias an
// input), and runs each kernel into the value the op returned; later runs
// run each op the way the first run settled: its kernel into its own
// value, a value kept from the last run, an alias of its input, or
// Gorgonia's op (preallocated where the op allows); a group whose ops all
// run their kernels runs as one loop, in its last op's place; the groups
// keep their resolved operands from run to run, and check them only when
// some slot's tensor has changed (Machine.setVal counts the changes). A
// kernel that declines
// its arguments (a view, another dtype) hands its op back to Gorgonia for
// good, so every run computes the same numbers. Tests observe how each op
// runs through the inspection methods (Program.Kernel, Machine.How,
// Machine.Plan); the run loop keeps no counters but the number of ops
// each goroutine of a plan ran.
//
// With two or more threads a settled machine whose ops are large and
// independent enough runs them on a plan (parallel.go): the calling
// goroutine and up to Threads()−1 workers of graph/internal/simd's pool
// (at most the program's work over its longest chain) each take the next
// ready op, the one with the longest chain of work after it first. A
// group of several tiles of rows or blocks of elements runs as parts,
// tasks of their own (parts.go), each reading only the rows it needs and
// queued on one goroutine by its number, so that a recurrence runs as
// chains of rows side by side. Each op, and each part, computes exactly
// what it computes in order, so the results do not change;
// GORNN_SCHEDULE (serial, parallel, simulate) overrides the choice at a
// machine's first run.
//
// Values are Gorgonia's (*tensor.Dense, *gorgonia.F32, *gorgonia.F64):
// the op list is gornn's, the arithmetic of ops without a kernel is
// Gorgonia's.
package runtime
