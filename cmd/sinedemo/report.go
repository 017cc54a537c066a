package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"unicode/utf8"

	"github.com/gornn/gornn/models/atomicfile"
)

// output is a file a run writes into the output directory once everything
// is computed.
type output struct {
	name  string
	write func(w io.Writer) error // writes the file's contents to w
}

// outputPerm is the permission of every output file.
const outputPerm = 0o644

// replaceFile renames a staged file over its target and linkFile makes a
// hard link; tests replace them to make a rename fail or to take away hard
// links.
var (
	replaceFile = os.Rename
	linkFile    = os.Link
)

// staged is an output written to a temporary file beside its target.
type staged struct {
	tmp    string // the temporary file
	path   string // the target
	backup string // the old target kept under another name; "" if none
	linked bool   // backup is a hard link, so the old target is still there too
}

// writeOutputs creates dir if needed and writes every output into it, all
// or nothing. First each output is staged: written to a temporary file in
// dir, flushed, synced and closed. Only when every output is staged are the
// temporaries renamed over their targets. If anything fails, the
// temporaries are removed, the files of an earlier run are left as they
// were, and dir is removed again if this call created it and it is empty.
// It returns the paths written.
func writeOutputs(dir string, outs []output) ([]string, error) {
	_, statErr := os.Stat(dir)
	created := errors.Is(statErr, os.ErrNotExist)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("output directory: %w", err)
	}
	files := make([]staged, 0, len(outs))
	for _, o := range outs {
		path := filepath.Join(dir, o.name)
		tmp, err := stage(path, o.write)
		if err != nil {
			for _, f := range files {
				os.Remove(f.tmp)
			}
			if created {
				os.Remove(dir) // fails, harmlessly, unless empty
			}
			return nil, fmt.Errorf("output %s: %w", path, err)
		}
		files = append(files, staged{tmp: tmp, path: path})
	}
	if err := commit(files); err != nil {
		if created {
			os.Remove(dir)
		}
		return nil, err
	}
	atomicfile.SyncDir(dir)
	paths := make([]string, len(files))
	for i, f := range files {
		paths[i] = f.path
	}
	return paths, nil
}

// stage writes a temporary file in path's directory with the contents write
// produces, flushes, syncs and closes it, and returns its name. On failure
// it removes the file again.
func stage(path string, write func(w io.Writer) error) (tmp string, err error) {
	dir, base := filepath.Split(path)
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return "", err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	bw := bufio.NewWriter(f)
	if err := write(bw); err != nil {
		return "", err
	}
	if err := bw.Flush(); err != nil {
		return "", err
	}
	if err := f.Chmod(outputPerm); err != nil {
		return "", err
	}
	if err := f.Sync(); err != nil {
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	return f.Name(), nil
}

// commit moves every staged file into place. It first keeps each existing
// target under a backup name (a hard link, so the target stays in place,
// or where links are unsupported a rename), failing before any change if a
// target is a directory; then it renames each temporary over its target.
// If any step fails, every target is restored from its backup, targets
// that did not exist before are removed, and no temporary or backup is
// left. On success the backups are removed.
func commit(files []staged) (err error) {
	replaced := 0 // files[:replaced] are in place
	defer func() {
		if err == nil {
			for _, f := range files {
				if f.backup != "" {
					os.Remove(f.backup)
				}
			}
			return
		}
		for i, f := range files {
			switch {
			case f.backup != "" && f.linked && i >= replaced:
				os.Remove(f.backup) // the old target is still in place
			case f.backup != "":
				os.Rename(f.backup, f.path)
			case i < replaced:
				os.Remove(f.path)
			}
			if i >= replaced {
				os.Remove(f.tmp)
			}
		}
	}()
	for i := range files {
		f := &files[i]
		fi, err := os.Lstat(f.path)
		switch {
		case errors.Is(err, os.ErrNotExist):
			continue
		case err != nil:
			return fmt.Errorf("output %s: %w", f.path, err)
		case fi.IsDir():
			return fmt.Errorf("output %s: is a directory", f.path)
		}
		backup := f.tmp + ".old"
		f.linked = linkFile(f.path, backup) == nil
		if !f.linked {
			if err := os.Rename(f.path, backup); err != nil {
				return fmt.Errorf("output %s: keeping the old file: %w", f.path, err)
			}
		}
		f.backup = backup
	}
	for _, f := range files {
		if err := replaceFile(f.tmp, f.path); err != nil {
			return fmt.Errorf("output %s: %w", f.path, err)
		}
		replaced++
	}
	return nil
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
