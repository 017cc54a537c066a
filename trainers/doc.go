// Package trainers trains gornn models the way Keras' compile and fit do:
// losses (MSE, MAE, Huber), optimizers with Keras' update rules (SGD with
// optional Nesterov momentum, Adam, RMSprop), gradient clipping, learning
// rate schedules, a Fit loop with validation, metrics, callbacks
// (EarlyStopping, ReduceLROnPlateau, ModelCheckpoint, ProgressBar: the
// progress output is a callback outside Fit's loop), cancellation and
// divergence errors, and checkpoints to resume a run.
//
// Data are tensors of samples: x is [n, input...] ([n, time, features] for
// a recurrent model) and y is [n, output...], matching the model's output
// shape; a float32 or float64 model converts them to its own dtype.
//
// # Usage
//
//	adam, err := trainers.NewAdam(&trainers.AdamOptions{LearningRate: 0.01})
//	if err != nil { ... }
//	hist, err := trainers.Fit(ctx, model, x, y, trainers.FitOptions{
//		Optimizer:       adam,
//		Epochs:          20,
//		BatchSize:       32,
//		ValidationSplit: 0.2,
//		Seed:            1,
//		Callbacks:       []trainers.Callback{&trainers.EarlyStopping{Patience: 3, RestoreBestWeights: true}},
//		Verbose:         2,
//	})
//	if err != nil { ... } // hist holds the epochs completed even then
//	fmt.Println(hist.Loss(), hist.Get("val_loss"))
//	pred, err := model.Predict(x)
//
// A Trainer (NewTrainer) holds a model, a loss and an optimizer; Fit is
// Trainer.Fit on a fresh trainer. Trainer.TrainBatch runs one step on a
// batch, for callers who drive training themselves, and Trainer.Evaluate
// the loss and metrics without changing the weights. Trainer.Compile
// builds the training programs of given batch sizes up front (BatchSizes
// gives those of a Fit), so that a timed run leaves compiling out;
// FitOptions.Order lets the caller order each epoch's samples.
//
// Models of several inputs (models.NewMulti) train with the ...Inputs
// methods (FitInputs, TrainBatchInputs, EvaluateInputs); models of several
// outputs (models.NewMultiOutput) with a loss and a weight per output
// (NewTrainerOutputs, Keras' loss=[...] and loss_weights=[...]) and the
// ...Outputs methods (FitOutputs, TrainBatchOutputs, EvaluateOutputs),
// whose logs name each output's loss and metrics after its layer.
//
// # Update rules
//
// With g the gradient of a weight w (after clipping), lr the learning rate
// and t the step count from 1 (Keras 3's rules):
//
//	SGD, momentum 0:   w -= lr·g
//	SGD, momentum μ:   v = μ·v - lr·g;  w += v
//	SGD, Nesterov:     v = μ·v - lr·g;  w += μ·v - lr·g
//	Adam:              m += (g - m)·(1 - β1);  v += (g² - v)·(1 - β2)
//	                   w -= lr·√(1 - β2^t)/(1 - β1^t) · m/(√v + ε)
//	RMSprop:           v = ρ·v + (1 - ρ)·g²;  w -= lr·g/(√v + ε)
//
// Each constructor takes a pointer to its own options struct (SGDOptions,
// AdamOptions, RMSpropOptions; NewOptimizer, by name, OptimizerOptions with
// the fields all three have): nil, or a field left at zero, is Keras'
// default. Defaults are Keras': SGD lr 0.01; Adam lr 0.001, β1 0.9, β2 0.999,
// ε 1e-7; RMSprop lr 0.001, ρ 0.9, ε 1e-7. RMSprop's ε sits outside the
// square root, as in the reference cases (computed with PyTorch) and
// torch.optim.RMSprop; Keras 3 divides by √(v + ε) instead. The two differ
// only for squared-gradient averages near ε.
//
// Clipping, at most one of: ClipValue clamps each element to [-c, c];
// ClipNorm rescales each weight's gradient whose L2 norm exceeds c;
// GlobalClipNorm rescales all gradients together when their joint norm
// exceeds c. Schedule: ExponentialDecay{...} makes the learning rate
// Initial·DecayRate^(step/DecaySteps), with the exponent floored when
// Staircase is set, step being the optimizer's 0-based step count.
//
// A hyperparameter an optimizer does not have (a momentum for Adam) does
// not compile: its options struct has no such field. Values out of range
// and conflicting settings are errors from the constructor wrapping
// graph.ErrConfig (which is a graph.ErrArgument too).
//
// # Errors
//
// Bad input (sample counts, shapes, hyperparameters, NaN or infinite data,
// naming the sample, float64 data beyond float32's range for a float32
// model) is an error wrapping graph.ErrArgument, graph.ErrShape or
// graph.ErrNotFinite before anything trains. A schedule's rate that is not
// positive and finite is an error from the step that would use it. An
// optimizer is bound to the parameters of its first step: using it with
// another model's is an error, not a silent sharing of its state. A non-finite loss, gradient
// or update is an error wrapping ErrDiverged that names the epoch and batch;
// that step is not applied, to the weights or to the optimizer's state.
//
// docs/training.md describes Fit's Keras behaviours, the callbacks,
// determinism and the reference cases the tests check against.
package trainers
