package graph

import "gorgonia.org/gorgonia"

// Gorgonia rewrites some expressions as they are built ("stabilization"):
// 1 - σ(x) becomes σ(-x). The derivative Gorgonia builds for σ contains
// 1 - σ(x), so with the rewrite every gradient of a sigmoid evaluates σ
// again, on the negated input (28 extra sigmoids and negations per seed
// LSTM training step), instead of reusing the forward value as y·(1-y),
// which is also what PyTorch's autograd computes. Graphs built here use
// the expressions as written. This is Gorgonia's global setting, set once
// when the package loads: programs that also build their own Gorgonia
// graphs and want the rewrites call gorgonia.UseStabilization.
func init() { gorgonia.UseNonStable() }
