package trainers

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/models"
)

// ErrCheckpoint reports a checkpoint that cannot be restored.
var ErrCheckpoint = errors.New("invalid checkpoint")

// checkpointMeta is stored under the "training" metadata key.
type checkpointMeta struct {
	Epoch int    `json:"epoch"` // epochs completed: resume with InitialEpoch = Epoch
	Loss  string `json:"loss"`
	// HuberDelta is the Huber loss's delta; absent for the other losses,
	// and in checkpoints written before it was stored (read as 1).
	HuberDelta float64 `json:"huber_delta,omitempty"`
	// FromLogits is a cross-entropy's from_logits; absent (false) for
	// the other losses.
	FromLogits bool          `json:"from_logits,omitempty"`
	Optimizer  optimizerSpec `json:"optimizer"`
	Iterations int           `json:"iterations"`
	Slots      []string      `json:"slots"` // sorted names of the optimizer's slots, stored as optimizer/<name>
}

// optimizerSpec is enough to construct the optimizer again.
type optimizerSpec struct {
	Kind         string            `json:"type"`
	LearningRate float64           `json:"learning_rate"`
	Decay        *ExponentialDecay `json:"exponential_decay,omitempty"`
	Momentum     float64           `json:"momentum,omitempty"`
	Nesterov     bool              `json:"nesterov,omitempty"`
	Beta1        float64           `json:"beta_1,omitempty"`
	Beta2        float64           `json:"beta_2,omitempty"`
	Epsilon      float64           `json:"epsilon,omitempty"`
	Rho          float64           `json:"rho,omitempty"`
	ClipValue    float64           `json:"clipvalue,omitempty"`
	ClipNorm     float64           `json:"clipnorm,omitempty"`
	GlobalClip   float64           `json:"global_clipnorm,omitempty"`
}

type hyperOwner interface{ hyper() *hyper }

func (o *base) hyper() *hyper {
	if o == nil {
		return nil
	}
	return o.h
}

func specOf(opt Optimizer) (optimizerSpec, error) {
	ho, ok := opt.(hyperOwner)
	if !ok || isNil(opt) {
		return optimizerSpec{}, fmt.Errorf("%w: optimizer %T is not one of this package's", ErrCheckpoint, opt)
	}
	h := ho.hyper()
	if h == nil {
		return optimizerSpec{}, fmt.Errorf("%w: %w", ErrCheckpoint, errNotMade)
	}
	s := optimizerSpec{Kind: h.kind, LearningRate: h.lr, Momentum: h.momentum, Nesterov: h.nesterov,
		Beta1: h.beta1, Beta2: h.beta2, Epsilon: h.epsilon, Rho: h.rho,
		ClipValue: h.clip.value, ClipNorm: h.clip.norm, GlobalClip: h.clip.global}
	if h.schedule != nil {
		var d ExponentialDecay
		switch e := h.schedule.(type) {
		case ExponentialDecay:
			d = e
		case *ExponentialDecay: // the constructors store a copy instead; kept for safety
			d = *e
		default:
			return optimizerSpec{}, fmt.Errorf("%w: only ExponentialDecay schedules can be saved, not %T", ErrCheckpoint, h.schedule)
		}
		s.Decay = &d
	}
	return s, nil
}

// build returns the optimizer s describes, with exactly its saved
// hyperparameters (a β or ρ of 0 stays 0: no defaults are filled in).
func (s optimizerSpec) build() (Optimizer, error) {
	h := hyper{kind: s.Kind, lr: s.LearningRate,
		clip: clipping{s.ClipValue, s.ClipNorm, s.GlobalClip}}
	if s.Decay != nil {
		h.schedule = *s.Decay
	}
	switch s.Kind {
	case "sgd":
		h.momentum, h.nesterov = s.Momentum, s.Nesterov
	case "adam":
		h.beta1, h.beta2, h.epsilon = s.Beta1, s.Beta2, s.Epsilon
	case "rmsprop":
		h.rho, h.epsilon = s.Rho, s.Epsilon
	}
	return newOf(h)
}

const slotPrefix = "optimizer/"

// SaveCheckpoint writes the model, the trainer's loss (with Huber's
// delta, or a cross-entropy's from_logits), its optimizer's type, hyperparameters and state, and the number
// of completed epochs to one file (a model file that Load also reads),
// atomically. Fit resumes from it with InitialEpoch set to the epoch
// LoadCheckpoint returns, and with the same seed gives the same result as
// an uninterrupted run.
func SaveCheckpoint(path string, t *Trainer, epochsDone int) error {
	if err := t.usable(); err != nil {
		return err
	}
	if epochsDone < 0 {
		return fmt.Errorf("%w: negative epoch %d", graph.ErrArgument, epochsDone)
	}
	if !t.uniformLosses() {
		return fmt.Errorf("%w: a checkpoint keeps one loss; the trainer's outputs have different losses or weights", graph.ErrArgument)
	}
	spec, err := specOf(t.opt)
	if err != nil {
		return err
	}
	st := t.opt.State()
	meta := checkpointMeta{Epoch: epochsDone, Loss: t.loss.name, HuberDelta: t.loss.delta, FromLogits: t.loss.fromLogits, Optimizer: spec, Iterations: st.Iterations}
	if spec.Decay == nil {
		meta.Optimizer.LearningRate = st.LearningRate
	}
	extra := map[string]*graph.Tensor{}
	for name, v := range st.Slots {
		tt, err := graph.FromFloat64s(graph.Float64, v, len(v))
		if err != nil {
			return fmt.Errorf("optimizer slot %s: %w", name, err)
		}
		extra[slotPrefix+name] = tt
		meta.Slots = append(meta.Slots, name)
	}
	sort.Strings(meta.Slots)
	js, err := json.Marshal(meta)
	if err != nil {
		return fmt.Errorf("%w: training state: %w", ErrCheckpoint, err)
	}
	return models.SaveWith(t.model, path, models.Extras{Tensors: extra, Meta: map[string]string{"training": string(js)}})
}

// lossOf rebuilds a checkpoint's loss.
func (meta checkpointMeta) lossOf() (Loss, error) {
	switch meta.Loss {
	case nameBinaryCE, nameSparseCE:
		if meta.HuberDelta != 0 {
			return Loss{}, fmt.Errorf("%w: huber delta %v stored with loss %q", ErrCheckpoint, meta.HuberDelta, meta.Loss)
		}
		if meta.Loss == nameBinaryCE {
			return BinaryCrossentropy(meta.FromLogits), nil
		}
		return SparseCategoricalCrossentropy(meta.FromLogits), nil
	}
	if meta.FromLogits {
		return Loss{}, fmt.Errorf("%w: from_logits stored with loss %q", ErrCheckpoint, meta.Loss)
	}
	if meta.Loss != "huber" {
		l, err := LossByName(meta.Loss)
		if err != nil {
			return Loss{}, fmt.Errorf("%w: %w", ErrCheckpoint, err)
		}
		if meta.HuberDelta != 0 {
			return Loss{}, fmt.Errorf("%w: huber delta %v stored with loss %q", ErrCheckpoint, meta.HuberDelta, meta.Loss)
		}
		return l, nil
	}
	delta := meta.HuberDelta
	if delta == 0 {
		delta = 1 // written before the delta was stored
	}
	l, err := Huber(delta)
	if err != nil {
		return Loss{}, fmt.Errorf("%w: %w", ErrCheckpoint, err)
	}
	return l, nil
}

// LoadCheckpoint reads a file written by SaveCheckpoint and returns a
// trainer for the restored model with its loss (Huber's delta included)
// and optimizer state, and the number of epochs completed. A file whose
// training state does not fit the model is an error wrapping ErrCheckpoint:
// an optimizer slot missing, not finite or shaped unlike its parameter, and
// an optimizer/ tensor that no slot of the training state names (a foreign
// or corrupt file).
func LoadCheckpoint(path string) (*Trainer, int, error) {
	m, extras, err := models.LoadWith(path)
	if err != nil {
		return nil, 0, err
	}
	js, ok := extras.Meta["training"]
	if !ok {
		return nil, 0, fmt.Errorf("%w: %s holds a model but no training state", ErrCheckpoint, path)
	}
	var meta checkpointMeta
	if err := json.Unmarshal([]byte(js), &meta); err != nil {
		return nil, 0, fmt.Errorf("%w: training state: %w", ErrCheckpoint, err)
	}
	if meta.Epoch < 0 || meta.Iterations < 0 {
		return nil, 0, fmt.Errorf("%w: negative epoch or iteration count", ErrCheckpoint)
	}
	loss, err := meta.lossOf()
	if err != nil {
		return nil, 0, err
	}
	opt, err := meta.Optimizer.build()
	if err != nil {
		return nil, 0, fmt.Errorf("%w: optimizer: %w", ErrCheckpoint, err)
	}
	st := OptimizerState{Iterations: meta.Iterations, LearningRate: meta.Optimizer.LearningRate, Slots: map[string][]float64{}}
	params := map[string]int{}
	for _, p := range m.Params() {
		params[p.Name()] = p.Len()
	}
	for _, name := range meta.Slots {
		if _, dup := st.Slots[name]; dup {
			return nil, 0, fmt.Errorf("%w: optimizer slot %s is listed twice", ErrCheckpoint, name)
		}
		tt, ok := extras.Tensors[slotPrefix+name]
		if !ok {
			return nil, 0, fmt.Errorf("%w: optimizer slot %s is missing", ErrCheckpoint, name)
		}
		v := graph.Float64s(tt)
		i := strings.LastIndex(name, "/")
		if i < 0 || params[name[:i]] != len(v) {
			return nil, 0, fmt.Errorf("%w: optimizer slot %s does not fit the model", ErrCheckpoint, name)
		}
		if slices.ContainsFunc(v, func(f float64) bool { return math.IsNaN(f) || math.IsInf(f, 0) }) {
			return nil, 0, fmt.Errorf("%w: optimizer slot %s is not finite", ErrCheckpoint, name)
		}
		st.Slots[name] = v
	}
	var unclaimed []string
	for key := range extras.Tensors {
		if name, ok := strings.CutPrefix(key, slotPrefix); ok {
			if _, claimed := st.Slots[name]; !claimed {
				unclaimed = append(unclaimed, key)
			}
		}
	}
	if len(unclaimed) > 0 {
		sort.Strings(unclaimed)
		return nil, 0, fmt.Errorf("%w: tensors %s are not slots of the optimizer state", ErrCheckpoint, strings.Join(unclaimed, ", "))
	}
	if err := opt.SetState(st); err != nil {
		return nil, 0, fmt.Errorf("%w: %w", ErrCheckpoint, err)
	}
	t, err := NewTrainer(m, loss, opt)
	if err != nil {
		return nil, 0, err
	}
	return t, meta.Epoch, nil
}

// ModelCheckpoint saves a checkpoint (SaveCheckpoint) at the end of every
// epoch, or with SaveBestOnly only when the monitored value improves on
// the best seen so far.
//
// The best value is reset at each Fit call (OnTrainBegin), unlike Keras,
// whose ModelCheckpoint keeps it across fit calls: the first epoch of every
// Fit with SaveBestOnly saves, so a resumed run overwrites a file that
// holds a better model from an earlier run unless Path differs (or holds
// "{epoch}").
type ModelCheckpoint struct {
	NopCallback
	// Path is the file to write (required). "{epoch}" in it is replaced by
	// the 1-based number of the epoch just completed.
	Path string
	// Monitor is the log SaveBestOnly watches, lower being better; empty
	// means val_loss when there is validation data, else loss. With
	// SaveBestOnly, an epoch whose logs lack it is an error.
	Monitor string
	// SaveBestOnly saves only at the end of an epoch whose monitored value
	// is strictly below every earlier one of the same Fit call; false:
	// after every epoch.
	SaveBestOnly bool

	best float64
}

// OnTrainBegin checks the path and that the trainer's optimizer can be
// saved (one of this package's, with no schedule or an ExponentialDecay),
// so that Fit fails before training rather than after the first epoch, and
// resets the best value.
func (c *ModelCheckpoint) OnTrainBegin(s *FitState) error {
	if c == nil {
		return errNilCallback("ModelCheckpoint")
	}
	if c.Path == "" {
		return fmt.Errorf("%w: model checkpoint needs a path", graph.ErrConfig)
	}
	if opt := stateOptimizer(s); opt != nil {
		if _, err := specOf(opt); err != nil {
			return err
		}
	}
	c.best = math.Inf(1)
	return nil
}

// OnEpochBegin does nothing.
func (c *ModelCheckpoint) OnEpochBegin(*FitState, int) error {
	if c == nil {
		return errNilCallback("ModelCheckpoint")
	}
	return nil
}

// OnBatchEnd does nothing.
func (c *ModelCheckpoint) OnBatchEnd(*FitState, int, int, Logs) error {
	if c == nil {
		return errNilCallback("ModelCheckpoint")
	}
	return nil
}

// OnTrainEnd does nothing.
func (c *ModelCheckpoint) OnTrainEnd(*FitState) error {
	if c == nil {
		return errNilCallback("ModelCheckpoint")
	}
	return nil
}

// OnEpochEnd saves when due.
func (c *ModelCheckpoint) OnEpochEnd(s *FitState, epoch int, logs Logs) error {
	if c == nil {
		return errNilCallback("ModelCheckpoint")
	}
	if s == nil {
		return fmt.Errorf("%w: ModelCheckpoint called with a nil FitState", graph.ErrArgument)
	}
	if c.SaveBestOnly {
		name, v, ok := monitored(c.Monitor, logs)
		if !ok {
			return fmt.Errorf("%w: model checkpoint monitors %q, which is not logged", graph.ErrArgument, name)
		}
		if !(v < c.best) {
			return nil
		}
		c.best = v
	}
	path := strings.ReplaceAll(c.Path, "{epoch}", fmt.Sprint(epoch+1))
	return SaveCheckpoint(path, s.Trainer, epoch+1)
}
