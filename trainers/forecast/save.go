package forecast

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/models"
)

// metaKey is the metadata entry of a saved Network.
const metaKey = "forecast"

type savedCandidate struct {
	Kind     Kind     `json:"kind,omitempty"`
	Strategy Strategy `json:"strategy"`
	Window   int      `json:"window"`
	Units    int      `json:"units"`
	ValMASE  *float64 `json:"validation_mase"` // null: skipped
	Epochs   int      `json:"epochs"`
	Base     int      `json:"base,omitempty"`
}

type savedNetwork struct {
	Version         int              `json:"version"`
	Horizon         int              `json:"horizon"`
	Season          int              `json:"season"`
	Features        int              `json:"features"`
	Members         int              `json:"members,omitempty"`
	Selected        savedCandidate   `json:"selected"`
	Candidates      []savedCandidate `json:"candidates"`
	ValidationSteps int              `json:"validation_steps"`
	Folds           int              `json:"folds"`
	Target          Scaler           `json:"target_scaler"`
	Past            []Scaler         `json:"past_scalers"`
	Future          []Scaler         `json:"future_scalers"`
	// Quantiles, QuantileMembers and QuantileEpochs describe the interval
	// networks (absent without them), stored as "quantile<i>/<layer>/<w>".
	Quantiles       []float64 `json:"quantiles,omitempty"`
	QuantileMembers int       `json:"quantile_members,omitempty"`
	QuantileEpochs  int       `json:"quantile_epochs,omitempty"`
	// QuantileLevels are the levels asked for when Quantiles (the
	// networks' outputs) has 0.5 added; QuantileCentred says that the
	// forecasts are centred on the point forecast (ForecastQuantiles).
	QuantileLevels  []float64 `json:"quantile_levels,omitempty"`
	QuantileCentred bool      `json:"quantile_centred,omitempty"`
	// Combination are the members whose forecasts are averaged (version
	// 2; version 1 had one, Selected, with Members networks).
	Combination []savedMember `json:"combination,omitempty"`
}

func toSaved(c Candidate) savedCandidate {
	s := savedCandidate{Kind: c.Kind, Base: c.Base, Strategy: c.Strategy, Window: c.Window, Units: c.Units, Epochs: c.Epochs}
	if !math.IsInf(c.ValMASE, 0) && !math.IsNaN(c.ValMASE) {
		v := c.ValMASE
		s.ValMASE = &v
	}
	return s
}

func fromSaved(s savedCandidate) Candidate {
	c := Candidate{Kind: s.Kind, Base: s.Base, Strategy: s.Strategy, Window: s.Window, Units: s.Units, Epochs: s.Epochs, ValMASE: math.Inf(1)}
	if s.ValMASE != nil {
		c.ValMASE = *s.ValMASE
	}
	return c
}

// savedMember is one member of a combination: its configuration and
// the size of its ensemble.
type savedMember struct {
	savedCandidate
	Networks int `json:"networks"`
}

// Save writes the network to one model file (models.SaveWith): the first
// member's first network as the model, every other network's weights as
// extra tensors ("g<member>/n<network>/<layer>/<weight>", the quantile
// networks as "quantile<i>/..."), and the members, scalers and selection
// in its metadata, so Load can forecast without training.
func (n *Network) Save(path string) error {
	if n == nil || len(n.members) == 0 {
		return fmt.Errorf("forecast: save: %w: an unfitted network", ErrArgument)
	}
	sv := savedNetwork{Version: 2, Horizon: n.st.Horizon, Season: n.st.Season, Features: n.features,
		Selected: toSaved(n.Candidate), ValidationSteps: n.ValidationSteps,
		Folds: n.Folds, Target: n.target, Past: n.past, Future: n.future}
	for _, mb := range n.members {
		sv.Combination = append(sv.Combination, savedMember{toSaved(mb.Candidate), len(mb.models)})
	}
	for _, c := range n.Candidates {
		sv.Candidates = append(sv.Candidates, toSaved(c))
	}
	if n.quant != nil {
		sv.Quantiles, sv.QuantileMembers, sv.QuantileEpochs = n.quant.trained, len(n.quant.models), n.quant.epochs
		sv.QuantileLevels, sv.QuantileCentred = n.quant.levels, n.quant.centred
	}
	js, err := json.Marshal(sv)
	if err != nil {
		return fmt.Errorf("forecast: save: %w", err)
	}
	x := models.Extras{Tensors: map[string]*graph.Tensor{}, Meta: map[string]string{metaKey: string(js)}}
	for g, mb := range n.members {
		for i, m := range mb.models {
			if g == 0 && i == 0 {
				continue
			}
			if err := addWeights(x, fmt.Sprintf("g%d/n%d", g, i), m); err != nil {
				return fmt.Errorf("forecast: save: %w", err)
			}
		}
	}
	if n.quant != nil {
		for i, m := range n.quant.models {
			if err := addWeights(x, fmt.Sprintf("quantile%d", i), m); err != nil {
				return fmt.Errorf("forecast: save: %w", err)
			}
		}
	}
	if err := models.SaveWith(n.members[0].models[0], path, x); err != nil {
		return fmt.Errorf("forecast: save: %w", err)
	}
	return nil
}

// Load reads a network written by Save (this version's files, and the
// single-configuration files of version 1).
func Load(path string) (*Network, error) {
	m0, x, err := models.LoadWith(path)
	if err != nil {
		return nil, fmt.Errorf("forecast: %w", err)
	}
	js, ok := x.Meta[metaKey]
	if !ok {
		return nil, fmt.Errorf("forecast: load: %w: %s is a model file without a forecaster's metadata", ErrData, path)
	}
	var sv savedNetwork
	if err := json.Unmarshal([]byte(js), &sv); err != nil {
		return nil, fmt.Errorf("forecast: load: %w: metadata: %v", ErrData, err)
	}
	if sv.Version == 1 {
		sv.Combination = []savedMember{{sv.Selected, sv.Members}}
	}
	if (sv.Version != 1 && sv.Version != 2) || len(sv.Combination) == 0 || sv.Horizon < 1 || sv.Season < 1 || sv.Features != 1+len(sv.Past)+len(sv.Future) {
		return nil, fmt.Errorf("forecast: load: %w: metadata %s", ErrData, js)
	}
	st := Settings{Horizon: sv.Horizon, Season: sv.Season, DType: m0.DType()}
	n := &Network{Candidate: fromSaved(sv.Selected), ValidationSteps: sv.ValidationSteps, Folds: sv.Folds, st: st,
		target: sv.Target, past: sv.Past, future: sv.Future, features: sv.Features}
	for _, c := range sv.Candidates {
		n.Candidates = append(n.Candidates, fromSaved(c))
	}
	for g, sm := range sv.Combination {
		c := fromSaved(sm.savedCandidate)
		c.Base = max(c.Base, 1)
		if sm.Networks < 1 || c.Window < 1 || (c.Kind != Linear && c.Units < 1) {
			return nil, fmt.Errorf("forecast: load: %w: member %d: %+v", ErrData, g, sm)
		}
		mb := member{Candidate: c}
		for i := range sm.Networks {
			if g == 0 && i == 0 {
				if in := m0.InputShape(); !(c.Kind == LSTM && len(in) == 2 && in[0] == c.Window && in[1] == n.features) &&
					!(c.Kind != LSTM && len(in) == 1 && in[0] == c.Window*n.features) {
					return nil, fmt.Errorf("forecast: load: %w: model input %v, metadata window %d with %d features", ErrData, in, c.Window, n.features)
				}
				mb.models = append(mb.models, m0)
				continue
			}
			prefix := fmt.Sprintf("g%d/n%d", g, i)
			if sv.Version == 1 {
				prefix = fmt.Sprintf("member%d", i)
			}
			m, err := loadMember(st, c, n.features, x, prefix, outputs(c.Strategy, st.Horizon))
			if err != nil {
				return nil, fmt.Errorf("forecast: load: %w", err)
			}
			mb.models = append(mb.models, m)
		}
		n.members = append(n.members, mb)
	}
	n.Ensemble = len(n.members[0].models)
	if len(sv.Quantiles) > 0 {
		if err := CheckQuantiles(sv.Quantiles); err != nil || sv.QuantileMembers < 1 {
			return nil, fmt.Errorf("forecast: load: %w: quantiles %v with %d networks", ErrData, sv.Quantiles, sv.QuantileMembers)
		}
		levels := sv.QuantileLevels
		if levels == nil {
			levels = sv.Quantiles
		}
		for _, lv := range levels {
			if !slices.Contains(sv.Quantiles, lv) {
				return nil, fmt.Errorf("forecast: load: %w: quantile %v is not among the networks' levels %v", ErrData, lv, sv.Quantiles)
			}
		}
		if sv.QuantileCentred && !slices.Contains(sv.Quantiles, 0.5) {
			return nil, fmt.Errorf("forecast: load: %w: centred quantiles without a 0.5 level", ErrData)
		}
		n.quant = &quantileNet{levels: levels, trained: sv.Quantiles, centred: sv.QuantileCentred, epochs: sv.QuantileEpochs}
		for i := range sv.QuantileMembers {
			m, err := loadMember(st, n.Candidate, n.features, x, fmt.Sprintf("quantile%d", i), len(sv.Quantiles)*sv.Horizon)
			if err != nil {
				return nil, fmt.Errorf("forecast: load: %w", err)
			}
			n.quant.models = append(n.quant.models, m)
		}
	}
	return n, nil
}

// addWeights stores m's weights in x as "<prefix>/<layer>/<weight>".
func addWeights(x models.Extras, prefix string, m *models.Model) error {
	for _, lw := range m.Weights() {
		for _, w := range lw.Weights {
			t, err := graph.FromFloat64s(m.DType(), w.Data, w.Shape...)
			if err != nil {
				return err
			}
			x.Tensors[fmt.Sprintf("%s/%s/%s", prefix, lw.Layer, w.Name)] = t
		}
	}
	return nil
}

// loadMember builds a network of c's kind, window and size with out
// outputs and sets its weights from the tensors "<prefix>/<layer>/<weight>"
// of x.
func loadMember(st Settings, c Candidate, features int, x models.Extras, prefix string, out int) (*models.Model, error) {
	st.RandomInit = true // the weights are set below
	m, err := newModel(st, c.Kind, c.Window, features, c.Units, out)
	if err != nil {
		return nil, err
	}
	ws := m.Weights()
	for li := range ws {
		for wi := range ws[li].Weights {
			w := &ws[li].Weights[wi]
			name := fmt.Sprintf("%s/%s/%s", prefix, ws[li].Layer, w.Name)
			t, ok := x.Tensors[name]
			if !ok {
				return nil, fmt.Errorf("%w: no tensor %q", ErrData, name)
			}
			if t.Len() != len(w.Data) {
				return nil, fmt.Errorf("%w: tensor %q has %d values, want %d", ErrData, name, t.Len(), len(w.Data))
			}
			w.Data = graph.Float64s(t)
		}
	}
	if err := m.SetWeights(ws); err != nil {
		return nil, fmt.Errorf("%s: %w", prefix, err)
	}
	return m, nil
}

// Horizon is the number of steps the network forecasts.
func (n *Network) Horizon() int { return n.st.Horizon }

// Season is the seasonal period the network was fitted with (1: none).
func (n *Network) Season() int { return n.st.Season }

// Covariates returns how many past and known-future covariates the network
// reads (the Series given to Forecast must have as many). Known-future
// covariates are read Horizon steps ahead: a forecast of even its first
// step needs their values over the whole horizon.
func (n *Network) Covariates() (past, future int) { return len(n.past), len(n.future) }
