package layers

// The interfaces a layer implements, beyond Layer, to describe itself to
// models: its size and weights before it is built (Planner,
// WeightPlanner) and its PyTorch counterpart (TorchLayout). Its
// serializable configuration is Layer.Config, turned back into a layer by
// the decoder registered for its kind (Register, FromConfig), and its
// Keras layout is Layer.Weights and Layer.SetWeights. The layers of this
// package implement all of them; for a layer of one's own they are
// optional, with the consequences each one documents.

// A Planner tells, from an input shape (without the batch axis) alone and
// allocating nothing, how many weight scalars Build would create and the
// shape Build would return, or the error Build would give for that shape
// (shape errors wrap graph.ErrShape, size limits ErrConfig). The layers of
// this package implement it; models use it to check a model's size before
// building any layer. A custom layer may implement it too.
type Planner interface {
	Plan(in []int) (weights int, out []int, err error)
}

// WeightSpec names one weight tensor of a layer and gives its shape, in
// Keras layout, as Layer.Weights would return it.
type WeightSpec struct {
	Name  string // "kernel"
	Shape []int
}

// A WeightPlanner is a Planner that also names the weights: WeightSpecs
// returns, for inputs of shape in (without the batch axis), the weights
// Build would create, named, shaped and ordered as Weights returns them
// after Build, and the output shape, or Build's error, from the layer's
// configuration alone and before it is built.
//
// models.Load uses it to check every tensor of a file before building the
// model. For a registered layer that is not a WeightPlanner, Load and
// models.Save build a second copy of the layer, decoded from its Config,
// to learn its weights: the same checks, at the cost of its weights once
// more.
type WeightPlanner interface {
	Planner
	WeightSpecs(in []int) (specs []WeightSpec, out []int, err error)
}

// A TorchLayout maps a layer's weights to the parameters of its PyTorch
// module (a torch.nn.LSTM, say) and back; models.ExportTorch and
// models.ImportTorch need it, and refuse a layer that is not one.
//
// ToTorch converts weights in Keras layout, named, shaped and ordered as
// Weights returns them, to the module's parameters: each named by its
// state_dict key relative to the module ("weight_ih_l0"), in state_dict
// order, shaped as PyTorch holds it. FromTorch is its inverse: given
// parameters named, shaped and ordered as ToTorch returns them, it
// returns the weights in Keras layout. Neither changes the layer; both
// return errors wrapping graph.ErrShape for values of other shapes.
type TorchLayout interface {
	ToTorch(ws []Weight) ([]Weight, error)
	FromTorch(ps []Weight) ([]Weight, error)
}
