package layers

import "fmt"

// Optional interfaces through which the models ask a layer what they would
// otherwise have to know of its kind. The built-in layers implement each
// one that concerns them; a layer of one's own may.

// A MaskSource says whether the layer may make a mask of its own (Keras'
// compute_mask creating one rather than passing one on): Masking,
// SequenceLengths and an Embedding with mask_zero do; the other built-in
// layers do not. models.Model.MaskedOutput builds a graph to find out only
// when some layer may; a layer that is not a MaskSource is taken to.
type MaskSource interface {
	MakesMask() bool
}

// A Reverser says whether the layer reads its input sequence from the
// last step to the first, in whole or in part (go_backwards, and a
// Bidirectional wrapper): such a layer cannot run one step at a time, so
// models.Model.NewStream refuses it. A layer that is not a Reverser is
// taken to read forwards.
type Reverser interface {
	ReadsBackwards() bool
}

// A TorchStacker is a TorchLayout whose PyTorch module can hold several
// layers of its kind stacked (torch.nn.LSTM(num_layers=2): keys ending in
// _l0, _l1, ...); models.ExportTorch and models.ImportTorch ask it for
// TorchOptions.Stacked. TorchStack returns the key that the layers of one
// stack share (the module, its width and its directions) and whether the
// layer returns its whole sequence, as every layer of a stack but the last
// must; an error wrapping ErrConfig says why the layer cannot be stacked.
type TorchStacker interface {
	TorchLayout
	TorchStack() (key string, sequences bool, err error)
}

var (
	_ MaskSource = (*Dense)(nil)
	_ MaskSource = (*SimpleRNN)(nil)
	_ MaskSource = (*LSTM)(nil)
	_ MaskSource = (*GRU)(nil)
	_ MaskSource = (*RNN)(nil)
	_ MaskSource = (*Bidirectional)(nil)
	_ MaskSource = (*Dropout)(nil)
	_ MaskSource = (*Concatenate)(nil)
	_ MaskSource = (*Add)(nil)
	_ MaskSource = (*Embedding)(nil)
	_ MaskSource = (*Masking)(nil)
	_ MaskSource = (*SequenceLengths)(nil)

	_ Reverser = (*SimpleRNN)(nil)
	_ Reverser = (*LSTM)(nil)
	_ Reverser = (*GRU)(nil)
	_ Reverser = (*RNN)(nil)
	_ Reverser = (*Bidirectional)(nil)

	_ TorchStacker = (*SimpleRNN)(nil)
	_ TorchStacker = (*LSTM)(nil)
	_ TorchStacker = (*GRU)(nil)
	_ TorchStacker = (*Bidirectional)(nil)
)

// MakesMask is false: a Dense layer passes masks on.
func (l *Dense) MakesMask() bool { return false }

// MakesMask is false: a recurrent layer passes masks on.
func (l *SimpleRNN) MakesMask() bool { return false }

// MakesMask is false: a recurrent layer passes masks on.
func (l *LSTM) MakesMask() bool { return false }

// MakesMask is false: a recurrent layer passes masks on.
func (l *GRU) MakesMask() bool { return false }

// MakesMask is false: a recurrent layer passes masks on.
func (l *RNN) MakesMask() bool { return false }

// MakesMask is false: the wrapper passes masks on.
func (l *Bidirectional) MakesMask() bool { return false }

// MakesMask is false: dropout passes masks on.
func (l *Dropout) MakesMask() bool { return false }

// MakesMask is false: a merge passes its inputs' masks on.
func (l *Concatenate) MakesMask() bool { return false }

// MakesMask is false: a merge passes its inputs' masks on.
func (l *Add) MakesMask() bool { return false }

// MakesMask reports whether the embedding masks the steps of id 0
// (mask_zero).
func (l *Embedding) MakesMask() bool { return l.MaskZero() }

// MakesMask is true: Masking makes a mask from its input's values.
func (l *Masking) MakesMask() bool { return true }

// MakesMask is true: SequenceLengths makes a mask from the lengths.
func (l *SequenceLengths) MakesMask() bool { return true }

// ReadsBackwards reports whether the layer goes backwards.
func (l *SimpleRNN) ReadsBackwards() bool { return l.GoBackwards() }

// ReadsBackwards reports whether the layer goes backwards.
func (l *LSTM) ReadsBackwards() bool { return l.GoBackwards() }

// ReadsBackwards reports whether the layer goes backwards.
func (l *GRU) ReadsBackwards() bool { return l.GoBackwards() }

// ReadsBackwards reports whether the layer goes backwards.
func (l *RNN) ReadsBackwards() bool { return l.GoBackwards() }

// ReadsBackwards is true: one direction reads the sequence backwards.
func (l *Bidirectional) ReadsBackwards() bool { return true }

// TorchStack returns "simple_rnn/U" (torch.nn.RNN of U units).
func (l *SimpleRNN) TorchStack() (string, bool, error) { return l.core().torchStack(kindSimpleRNN) }

// TorchStack returns "lstm/U" (torch.nn.LSTM of U units).
func (l *LSTM) TorchStack() (string, bool, error) { return l.core().torchStack(kindLSTM) }

// TorchStack returns "gru/U" (torch.nn.GRU of U units).
func (l *GRU) TorchStack() (string, bool, error) { return l.core().torchStack(kindGRU) }

// TorchStack returns "bidirectional/" and the wrapped layer's key: the
// module with bidirectional=True, which stacks concatenated directions
// only.
func (l *Bidirectional) TorchStack() (string, bool, error) {
	if l == nil || l.fwd == nil {
		return "", false, fmt.Errorf("%w: not a configured Bidirectional (use NewBidirectional)", ErrConfig)
	}
	if l.mode != MergeConcat {
		return "", false, fmt.Errorf("%w: %s merges its directions by %q (PyTorch stacks concatenated directions)", ErrConfig, l.Name(), l.mode)
	}
	s, ok := l.fwd.(TorchStacker)
	if !ok {
		return "", false, fmt.Errorf("%w: %s wraps a %s, which PyTorch does not stack", ErrConfig, l.Name(), l.fwd.ClassName())
	}
	key, seq, err := s.TorchStack()
	if err != nil {
		return "", false, err
	}
	return kindBidirectional + "/" + key, seq, nil
}

// torchStack is the TorchStack of a built-in recurrent layer of kind.
func (l *recurrent) torchStack(kind string) (string, bool, error) {
	if err := l.configured(); err != nil {
		return "", false, err
	}
	if l.goBackwards {
		return "", false, fmt.Errorf("%w: %s goes backwards (PyTorch's modules read forwards)", ErrConfig, l.Name())
	}
	return fmt.Sprintf("%s/%d", kind, l.units), l.returnSequences, nil
}
