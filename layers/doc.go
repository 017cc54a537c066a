// Package layers holds the Keras-style layers of gornn: [Dense],
// [SimpleRNN], [LSTM] and [GRU]; the [Bidirectional] wrapper; [Embedding],
// [Masking], [SequenceLengths] and [Dropout]; the merge layers
// [Concatenate] and [Add]; and the [Layer] interface any other layer
// implements.
//
// # Masks, states and training
//
// A [Mask] marks the valid steps of padded sequences (made by Masking, an
// Embedding with [EmbeddingOptions].MaskZero or SequenceLengths); recurrent layers
// carry their states over masked steps and output 0 there ([MaskedLayer]).
// Recurrent layers take initial states and give final ones
// ([StateLayer]; a Bidirectional layer the forward layer's, then the
// backward layer's, as Keras orders them), go backwards (GoBackwards), drop inputs and recurrent
// states in training (Dropout, RecurrentDropout, [TrainingLayer],
// [Noise]) and may have no bias (NoBias).
// docs/sequences.md has the Keras and PyTorch correspondence.
//
// # Configuration
//
// A layer is configured at construction. Each constructor takes a pointer
// to its own options struct ([DenseOptions], [LSTMOptions], ...), as
// slog.NewTextHandler takes *slog.HandlerOptions: nil, or a field left at
// its zero value, means Keras' default. A struct has fields only for the
// settings its layer has, so an activation given to an LSTM, or a
// unit_forget_bias to a GRU, does not compile. Settings whose Keras default
// is true are named for their opposite (NoBias, NoUnitForgetBias), and
// [DefaultActivation], the zero [Activation], is the layer's own default
// (Dense linear, SimpleRNN tanh). Values are checked there: units must be
// positive and at most [MaxUnits], rates in [0, 1), activations known;
// errors wrap [ErrConfig], which is graph.ErrConfig.
//
// # Weights
//
// A layer's weights
// are created by Build for an input shape, as Keras' build does, with Keras'
// default initializers: Glorot uniform kernels, orthogonal recurrent
// kernels, zero biases except the LSTM forget gate's, which starts at 1.
// Forward then adds the layer's computation to any number of graphs (one
// per batch size), all reading the same weights.
//
// # Shapes
//
// Inputs are batch first. Recurrent layers read sequences [batch, time,
// features] and return [batch, time, units] with ReturnSequences,
// or the last state [batch, units] without. Dense acts on the last axis, so
// on a sequence it applies the same weights at every step.
//
// # Equations
//
// With x_t the input at step t, h_0 = c_0 = 0, σ the logistic function and
// * the elementwise product:
//
//	Dense:      y = activation(x·W + b)
//
//	SimpleRNN:  h_t = activation(x_t·W + h_{t-1}·U + b)   (tanh by default)
//
//	LSTM:       i = σ(x_t·W_i + h_{t-1}·U_i + b_i)
//	            f = σ(x_t·W_f + h_{t-1}·U_f + b_f)
//	            g = tanh(x_t·W_c + h_{t-1}·U_c + b_c)
//	            o = σ(x_t·W_o + h_{t-1}·U_o + b_o)
//	            c_t = f*c_{t-1} + i*g
//	            h_t = o*tanh(c_t)
//
//	GRU:        z = σ(x_t·W_z + bx_z + h_{t-1}·U_z + bh_z)
//	(reset      r = σ(x_t·W_r + bx_r + h_{t-1}·U_r + bh_r)
//	after)      ĥ = tanh(x_t·W_h + bx_h + r*(h_{t-1}·U_h + bh_h))
//	            h_t = z*h_{t-1} + (1-z)*ĥ
//
// # Weight layout
//
// [Layer.Weights] and [Layer.SetWeights] use the Keras layout, in the order
// of Keras' get_weights: kernel [F, gU], recurrent_kernel [U, gU] and bias
// [gU] with the g gates side by side (LSTM: i, f, c, o; GRU: z, r, h), and
// for the GRU a bias [2, 3U] whose row 0 is the input bias bx and row 1 the
// recurrent bias bh. Internally each weight is stored gate-major, [g, F, U],
// [g, U, U] and [g, U] ([2g, U] for the GRU), so every gate's matrix is a
// contiguous block that a graph binds on its own, with no slicing of a
// fused product (layers of at most 32 units join the blocks once per run
// and split one product per step into gates, which is faster at that size). [Layer.Params] exposes that internal form, and
// [Layer.KerasLayout] converts values of that form (gradients, say) back
// to Keras layout. docs/lstm.md has the details.
//
// # Usage
//
//	lstm, err := layers.NewLSTM(20, &layers.LSTMOptions{ReturnSequences: true})
//	if err != nil { ... }
//	dense, _ := layers.NewDense(1, nil)
//	m, err := models.NewSequential([]int{10, 1}, []layers.Layer{lstm, dense}, nil)
//
// # Recurrent cells
//
// SimpleRNN, LSTM and GRU are cells ([Cell]: one step from the input and
// the previous states to the output and the next states) inside one time
// loop, which owns the weights, return sequences and the choice between
// one product for all gates (layers of at most 32 units) and one per gate.
// [NewRNN] runs a cell of one's own in the same loop (Keras'
// keras.layers.RNN(cell)); its step gets the weights bound into the graph
// as [CellWeights], whose helpers fuse its gates like the built-ins'. See
// the custom-cell example.
//
// A layer of one's own needs only the [Layer] methods and the operations
// of graph.Builder; see the custom-layer example. To be saved and loaded
// (models.Save, models.Load) its kind is registered with a decoder of its
// [Config] ([Register], Keras' register_keras_serializable); to be checked
// before it is built it is a [WeightPlanner]; to be exported to PyTorch, a
// [TorchLayout]. The built-in layers are all three and register
// themselves. docs/custom-layers.md walks through one.
//
// # Size limits
//
// A layer has at most [MaxUnits] units and [MaxWeights] weight scalars
// (a model too, all its layers together), and its input sample at most
// [MaxSampleElements] values and [MaxTimeSteps] steps. Constructors refuse
// a layer that could not be built within them for even one input feature
// (an LSTM of more than 8,191 units), Build an input shape that breaks
// them, before allocating anything; [Planner.Plan] gives the count from
// shapes alone. The errors wrap [ErrConfig]. A nil or zero layer does not
// panic: its methods return empty values or errors.
package layers
