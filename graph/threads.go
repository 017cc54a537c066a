package graph

import "github.com/gornn/gornn/graph/internal/simd"

// Threads returns how many goroutines gornn runs one large computation on:
// the halves (or smaller parts) of a large float32 matrix product, the
// runs of a batch prediction (models' Predict), and, when it is 2 or more,
// the independent ops of a large program's run, several at a time (a training
// step's gate products and weight gradients; GORNN_SCHEDULE=serial at an
// executor's first run keeps them in order). It is runtime.GOMAXPROCS(0)
// at the time of the call, at most the value of the environment variable
// GORNN_THREADS when that is a positive integer at start-up.
//
// To run gornn on fewer cores, start the program with GOMAXPROCS=n or
// GORNN_THREADS=n (the latter leaves the rest of the program its
// GOMAXPROCS), or call runtime.GOMAXPROCS(n). Results do not depend on
// it: every element of a product, every op of a run and every predicted
// sample is computed by the same instructions on any number of threads.
func Threads() int { return simd.Threads() }
