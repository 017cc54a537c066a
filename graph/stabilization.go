package graph

import (
	"sync"

	"gorgonia.org/gorgonia"
)

// Gorgonia rewrites some expressions as they are built ("stabilization"):
// 1 - σ(x) becomes σ(-x). The derivative Gorgonia builds for σ contains
// 1 - σ(x), so with the rewrite every gradient of a sigmoid evaluates σ
// again, on the negated input (28 extra sigmoids and negations per seed
// LSTM training step), instead of reusing the forward value as y·(1-y),
// which is also what PyTorch's autograd computes. Graphs built here use
// the expressions as written.
//
// The rewrite is a global setting of Gorgonia's (on by default) that it
// does not let anyone read. This package leaves it as it finds it: it
// switches the rewrite off only while Gorgonia could apply it to a gornn
// graph (Grad in Compile, whose gradients use the constant one the
// rewrites look for, and Builder.Log, where log σ(x) would become a
// softplus), under a lock that serializes those moments, and switches it
// back on afterwards if it was on. A program that builds Gorgonia graphs
// of its own on other goroutines at the same moment may see the rewrite
// off for that long.
//
// Gorgonia reads the setting whenever it creates a node, so every node
// gornn creates is created under stabilizationMu too (shared, through
// Builder.wrap): building one model while another compiles is then no data
// race on Gorgonia's variable.
var stabilizationMu sync.RWMutex

// shared runs f, which creates Gorgonia nodes, while no asWritten call can
// change Gorgonia's setting.
func shared(f func()) {
	stabilizationMu.RLock()
	defer stabilizationMu.RUnlock()
	f()
}

// asWritten runs f, which creates Gorgonia nodes, with Gorgonia's
// stabilization rewrites off, and restores the setting found.
func asWritten(f func()) {
	stabilizationMu.Lock()
	defer stabilizationMu.Unlock()
	if stabilizationOn() {
		gorgonia.UseNonStable()
		defer gorgonia.UseStabilization()
	}
	f()
}

// stabilizationOn reports whether Gorgonia rewrites expressions as it
// builds them. Its rewrites match only its own constant one, which its
// gradients use, so the probe builds the gradient of Σσ(x) in a scratch
// graph: with the rewrite it evaluates σ(-x), a second sigmoid.
func stabilizationOn() (on bool) {
	defer func() {
		if recover() != nil {
			on = true // cannot tell: assume Gorgonia's default
		}
	}()
	g := gorgonia.NewGraph()
	x := gorgonia.NewVector(g, gorgonia.Float64, gorgonia.WithShape(2), gorgonia.WithName("x"))
	s, err := gorgonia.Sigmoid(x)
	if err != nil {
		return true
	}
	sum, err := gorgonia.Sum(s)
	if err != nil {
		return true
	}
	if _, err := gorgonia.Grad(sum, x); err != nil {
		return true
	}
	n := 0
	for _, node := range g.AllNodes() {
		if node.Op() != nil && node.Op().String() == "sigmoid" {
			n++
		}
	}
	return n > 1
}
