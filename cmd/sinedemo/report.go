package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"unicode/utf8"
)

// output is a file a run writes into the output directory once everything
// is computed.
type output struct {
	name  string
	write func(path string) error // writes atomically to path
}

// writeOutputs creates dir if needed and writes every output into it. Each
// file is written atomically; if one fails, the files already written are
// removed (and dir too, if this call created it and it is empty), so a
// failed run leaves no partial set of outputs. It returns the paths written.
func writeOutputs(dir string, outs []output) ([]string, error) {
	_, statErr := os.Stat(dir)
	created := errors.Is(statErr, os.ErrNotExist)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("output directory: %w", err)
	}
	var written []string
	for _, o := range outs {
		path := filepath.Join(dir, o.name)
		if err := o.write(path); err != nil {
			for _, p := range written {
				os.Remove(p)
			}
			if created {
				os.Remove(dir) // fails, harmlessly, unless empty
			}
			return nil, err
		}
		written = append(written, path)
	}
	return written, nil
}

// writeTable prints the closing table: per model its parameters, training
// time, final loss and forecast RMSE, then the baseline and the files.
func writeTable(w io.Writer, res *result, files []string) {
	rows := [][]string{{"model", "params", "train time", "final loss", "forecast RMSE"}}
	for _, m := range res.models {
		rows = append(rows, []string{m.name, groupThousands(m.params), formatDuration(m.elapsed),
			fmt.Sprintf("%.4f", m.finalLoss), fmt.Sprintf("%.4f", m.rmse)})
	}
	rows = append(rows, []string{res.baseline.name + " (baseline)", "-", "-", "-", fmt.Sprintf("%.4f", res.baseline.rmse)})
	width := make([]int, len(rows[0]))
	for _, r := range rows {
		for i, c := range r {
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	fmt.Fprintln(w)
	for _, r := range rows {
		line := fmt.Sprintf("%-*s", width[0], r[0])
		for i, c := range r[1:] {
			line += fmt.Sprintf("  %*s", width[i+1], c)
		}
		fmt.Fprintln(w, line)
	}
	fmt.Fprintln(w, res.rmseNote)
	fmt.Fprintln(w, "\nFiles:")
	for _, f := range files {
		fmt.Fprintf(w, "  %s\n", f)
	}
}

// groupThousands formats n with commas between groups of three digits, as
// Keras' summaries do.
func groupThousands(n int) string {
	s := strconv.Itoa(n)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

// jsonModel is one model in the -json report. The field names are a stable
// interface for scripts.
type jsonModel struct {
	Name         string  `json:"name"`
	Params       int     `json:"params"`
	Epochs       int     `json:"epochs"`
	TrainSeconds float64 `json:"train_seconds"`
	FinalLoss    float64 `json:"final_loss"`
	ForecastRMSE float64 `json:"forecast_rmse"`
}

// jsonBaseline is the baseline forecast in the -json report.
type jsonBaseline struct {
	Name         string  `json:"name"`
	ForecastRMSE float64 `json:"forecast_rmse"`
}

// jsonReport is the -json report.
type jsonReport struct {
	Models   []jsonModel  `json:"models"`
	Baseline jsonBaseline `json:"baseline"`
	Files    []string     `json:"files"`
}

// writeJSON prints the -json report as one line.
func writeJSON(w io.Writer, res *result, files []string) error {
	r := jsonReport{
		Models:   make([]jsonModel, len(res.models)),
		Baseline: jsonBaseline{Name: res.baseline.name, ForecastRMSE: res.baseline.rmse},
		Files:    files,
	}
	for i, m := range res.models {
		r.Models[i] = jsonModel{
			Name:         m.name,
			Params:       m.params,
			Epochs:       m.epochs,
			TrainSeconds: m.elapsed.Seconds(),
			FinalLoss:    m.finalLoss,
			ForecastRMSE: m.rmse,
		}
	}
	if r.Files == nil {
		r.Files = []string{}
	}
	if err := json.NewEncoder(w).Encode(r); err != nil {
		return fmt.Errorf("writing JSON: %w", err)
	}
	return nil
}
