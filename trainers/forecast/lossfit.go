package forecast

import (
	"context"
	"fmt"
	"math"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/models"
	"github.com/gornn/gornn/trainers"
)

// lossTrainer trains a model with a loss of this package (the pinball
// loss), which trainers.Trainer cannot take: trainers.Loss has no
// constructor for a loss made elsewhere. It compiles the model's training
// program (models.Model.Program: forward graph, the loss and gorgonia.Grad's
// gradients) once per batch size and applies the optimizer's updates, as
// trainers.Trainer does with its own losses.
type lossTrainer struct {
	model  *models.Model
	loss   models.LossFunc
	opt    trainers.Optimizer
	execs  map[int]*graph.Executor
	params []*graph.Param
	grads  []*graph.Tensor
}

func newLossTrainer(m *models.Model, loss models.LossFunc, lr float64) (*lossTrainer, error) {
	opt, err := trainers.NewAdam(&trainers.AdamOptions{LearningRate: lr})
	if err != nil {
		return nil, err
	}
	return &lossTrainer{model: m, loss: loss, opt: opt, execs: map[int]*graph.Executor{}, params: m.Params()}, nil
}

// epoch runs one epoch over x, y in batches of batch, shuffled by seed
// and the epoch number (trainers.EpochOrder, as trainers.Fit shuffles).
func (t *lossTrainer) epoch(ctx context.Context, x, y *graph.Tensor, batch int, seed uint64, epoch int) error {
	n := x.Dim(0)
	order, err := trainers.EpochOrder(n, seed, epoch, true)
	if err != nil {
		return err
	}
	for start := 0; start < n; start += batch {
		if err := ctx.Err(); err != nil {
			return err
		}
		idx := order[start:min(start+batch, n)]
		xb, err := trainers.Samples(x, idx)
		if err != nil {
			return err
		}
		yb, err := trainers.Samples(y, idx)
		if err != nil {
			return err
		}
		if err := t.step(xb, yb); err != nil {
			return err
		}
	}
	return nil
}

func (t *lossTrainer) step(x, y *graph.Tensor) error {
	b := x.Dim(0)
	e, ok := t.execs[b]
	if !ok {
		p, err := t.model.Program(models.ProgramSpec{Batch: b, Loss: t.loss, Grads: true})
		if err != nil {
			return err
		}
		e = p.NewExecutor()
		t.execs[b] = e
	}
	if err := e.SetInput(0, x); err != nil {
		return err
	}
	if err := e.SetInput(1, y); err != nil {
		return err
	}
	if err := e.Run(); err != nil {
		return err
	}
	loss, err := e.Loss()
	if err != nil {
		return err
	}
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return fmt.Errorf("%w: loss is %v", trainers.ErrDiverged, loss)
	}
	if t.grads, err = e.GradsInto(t.grads, t.params); err != nil {
		return err
	}
	return t.opt.Step(t.params, t.grads)
}
