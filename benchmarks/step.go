package benchmarks

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/models"
	"github.com/gornn/gornn/trainers"
)

// Size is the shape of one training step: recurrent units, batch size and
// time steps, with one input feature.
type Size struct{ Units, Batch, Steps int }

// String returns the benchmark name of the size, "U20_B8_T10".
func (s Size) String() string { return fmt.Sprintf("U%d_B%d_T%d", s.Units, s.Batch, s.Steps) }

// SeedSize is the size of the seed model's step (W1).
var SeedSize = Size{Units: 20, Batch: 8, Steps: 10}

// StepCase is one training step of Sequential([kind(U, return sequences),
// Dense(1)]) on a fixed random batch [B, T, 1] with SGD(LearningRate) and
// MSE, through Trainer.TrainBatch (W1–W3's step at the seed size), or of
// Sequential([kind(U), Dense(1)]) on the last state with targets [B, 1]
// (W4's step at LSTM(128), batch 64, 50 steps: NewLastStateCase). Its
// program is compiled when it is made (Trainer.Compile), so that Step
// times only the step.
type StepCase struct {
	Kind  Kind
	Size  Size
	Model *models.Model
	tr    *trainers.Trainer
	x, y  *graph.Tensor
}

// NewStepCase builds and compiles a step of the given size whose layer
// returns its sequence, Dense(1) at every step.
func NewStepCase(k Kind, s Size) (*StepCase, error) { return newStepCase(k, s, true) }

// NewLastStateCase builds and compiles a step of the given size whose
// layer returns its last state, into Dense(1): W4's model.
func NewLastStateCase(k Kind, s Size) (*StepCase, error) { return newStepCase(k, s, false) }

func newStepCase(k Kind, s Size, sequences bool) (*StepCase, error) {
	if s.Units <= 0 || s.Batch <= 0 || s.Steps <= 0 {
		return nil, fmt.Errorf("%w: size %v", graph.ErrArgument, s)
	}
	m, err := NewRegressor(k, s.Units, s.Steps, sequences, Seed)
	if err != nil {
		return nil, err
	}
	tr, err := NewSGDTrainer(m)
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(Seed, uint64(s.Units*1_000_003+s.Batch*1009+s.Steps)))
	c := &StepCase{Kind: k, Size: s, Model: m, tr: tr, x: RandomTensor(rng, s.Batch, s.Steps, 1)}
	if sequences {
		c.y = RandomTensor(rng, s.Batch, s.Steps, 1)
	} else {
		c.y = RandomTensor(rng, s.Batch, 1)
	}
	if err := tr.Compile(s.Batch); err != nil {
		return nil, fmt.Errorf("%v %v: %w", k, s, err)
	}
	return c, nil
}

// Step runs one training step and returns its loss.
func (c *StepCase) Step() (float64, error) {
	r, err := c.tr.TrainBatch(c.x, c.y)
	return r.Loss, err
}

// TimeStep returns the median and the minimum, over reps repetitions, of
// the time per step of a run lasting at least minRun (the run length is
// chosen once, doubling from one step).
func (c *StepCase) TimeStep(reps int, minRun time.Duration) (median, least time.Duration, err error) {
	n := 1
	for {
		d, err := c.run(n)
		if err != nil {
			return 0, 0, err
		}
		if d >= minRun || n >= 1<<20 {
			break
		}
		n *= 2
	}
	per := make([]time.Duration, 0, reps)
	for range max(reps, 1) {
		d, err := c.run(n)
		if err != nil {
			return 0, 0, err
		}
		per = append(per, d/time.Duration(n))
	}
	slices.Sort(per)
	return per[len(per)/2], per[0], nil
}

func (c *StepCase) run(n int) (time.Duration, error) {
	start := time.Now()
	for range n {
		if _, err := c.Step(); err != nil {
			return 0, err
		}
	}
	return time.Since(start), nil
}
