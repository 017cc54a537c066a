// Package models assembles layers into a model, Keras style, and runs it.
//
// A [Model] is a chain of layers built for one sample shape, with its
// weights. It is made either with [NewSequential] (a list of layers) or
// with the functional API, [Input] and [Apply] then [New], which reads like
// Keras' Model(inputs, outputs). Unnamed layers are named after their kind
// ("lstm", "lstm_1", ...), and every layer is built in order for the shape
// it receives, so a mismatch (a recurrent layer after one that returns only
// its last state, say) is reported at construction, naming the layer.
// Definition errors wrap [ErrModel]; shape errors wrap graph.ErrShape.
//
// Models that are not a chain, with several inputs, merge layers
// (layers.Concatenate, layers.Add) and states passed between layers (an
// encoder's final states as a decoder's initial states), are made with
// [NewMulti] from symbols of [Input], [Apply], [ApplyMerge] and
// [ApplyStates]; they run with [Model.PredictInputs] and the trainers'
// ...Inputs methods. [NewMultiOutput] makes a model of several outputs
// (Keras' outputs=[...]): its programs take a target and a loss per output
// and sum the losses, optionally weighted ([ProgramSpec].Losses,
// LossWeights); it predicts with [Model.PredictOutputs] and trains with
// the trainers' ...Outputs methods. [Model.NewStream] serves a recurrent
// model one time step at a time, carrying its states from call to call.
//
// # Shapes
//
// Shapes given to a model leave out the batch axis: Input(10, 1) is a
// sequence of 10 steps of 1 feature, and the data passed to
// [Model.Predict] is [samples, 10, 1]. Recurrent models take [batch, time,
// features]; a model whose first layer is Dense may take flat samples.
//
// # Running
//
// [Model.Predict] works for any number of samples: it runs them in batches
// of [DefaultPredictBatch] (or the size given to [Model.PredictBatch],
// run in pieces of at most [MaxPredictBatch]), compiling and caching one
// forward program per batch size, short last batch included; the pieces
// of one call run on graph.Threads() goroutines. Every program binds the same weight tensors. Predict
// checks its input (shape, dtype, finiteness, naming the first bad sample)
// and is safe for concurrent use; changing the weights (training,
// [Model.SetWeights]) must not overlap with anything else.
//
// [Model.Program] compiles the model with a loss, for training, as a
// [ProgramSpec] says (batch size, loss, which gradients): input 0 is
// x, input 1 the target y, output 0 the prediction, and on request the
// gradients of the loss with respect to every parameter and to x.
//
// # Weights
//
// [Model.Weights] and [Model.SetWeights] use the Keras layout, layer by
// layer; SetWeights checks everything before writing anything.
// [Model.Params] returns the trainable parameters in their internal
// layout, in a stable order, which is what optimizers update.
//
// # Usage
//
//	rnn, _ := layers.NewSimpleRNN(20, &layers.SimpleRNNOptions{ReturnSequences: true})
//	out, _ := layers.NewDense(1, nil)
//	in := models.Input(10, 1)
//	m, err := models.New(in, models.Apply(out, models.Apply(rnn, in)), &models.Options{Seed: 1})
//	if err != nil { ... }
//	fmt.Print(m.Summary())
//	y, err := m.Predict(x) // x [n, 10, 1] -> y [n, 10, 1]
package models
