// Package benchmarks holds gornn's speed benchmarks and the Go side of the
// side-by-side comparison with PyTorch.
//
// Workloads W1..W6 mirror benchmarks/pytorch/workloads.py (float32,
// SGD(0.01), MSE, batch-first data [batch, time, features]):
//
//	W1  LSTM(20, return sequences) + Dense(1) per step; 40 noisy-sine windows of 10; batch 8, shuffled; 500 epochs
//	W2  as W1 with SimpleRNN(20)
//	W3  as W1 with GRU(20)
//	W4  LSTM(128), last state, + Dense(1); 1,024 random windows of 50; batch 64, shuffled; 3 epochs
//	W5  39-step autoregressive forecast with Predict on [1, 10, 1], 100 times, W1 model pre-trained 20 epochs
//	W6  Predict 10,000 random windows of 10 in one batch, W1 model pre-trained 20 epochs
//
// Each returns the seconds of its timed region (training or prediction;
// model building, data, compiling and pre-training excluded) and its final
// loss. Training is the library's own loop: Trainer.Compile builds the
// programs for the run's batch sizes off the clock, then the clock times
// Trainer.Fit, its epochs ordered by Shuffler (a math/rand/v2 PCG shuffle,
// which the C floor is given too):
//
//	r, err := benchmarks.W1(benchmarks.Options{})
//	fmt.Println(r.Seconds, r.FinalLoss)
//
// The data and weights are seeded, but from Go's PCG generator, not
// numpy's: the two implementations train the same models on the same kind
// of data, not on the same numbers.
//
// The Go benchmarks (go test -bench . ./benchmarks) time one training step
// by layer kind and size (BenchmarkTrainStep/LSTM/U20_B8_T10, through
// Trainer.TrainBatch), one W1 epoch (a Trainer.Fit of one epoch), Predict
// and one forecast. The commands in cmd/compare and
// cmd/stepplot run the comparison and draw docs/step_time.png,
// cmd/threadstep times a step on one thread and on two, and
// cmd/stepcount runs a number of steps for counting their instructions;
// see docs/benchmarks.md.
//
// The native floor (cfloor/floor.c, see cfloor.go) is a hand-written,
// fused C implementation of the W1–W3 training loops that compare builds
// with the system C compiler and feeds gornn's data, initial weights and
// batch order (SineFloorInput): an anchor for what these loops cost, not
// part of the library. TestFloor checks its gradients against gornn's.
package benchmarks
