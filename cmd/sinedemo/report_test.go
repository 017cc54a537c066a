package main

import (
	"errors"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// readDir returns the name and contents of every file in dir; a
// subdirectory maps to "<dir>".
func readDir(t *testing.T, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for _, e := range entries {
		if e.IsDir() {
			files[e.Name()] = "<dir>"
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files[e.Name()] = string(data)
	}
	return files
}

// writeDir writes files (name to contents) into dir.
func writeDir(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// textOutput is an output that writes s.
func textOutput(name, s string) output {
	return output{name, func(w io.Writer) error {
		_, err := io.WriteString(w, s)
		return err
	}}
}

// oldRun is the output directory an earlier run left.
var oldRun = map[string]string{"a.csv": "old a", "b.png": "old b", "c.csv": "old c"}

// newOutputs replaces a, b and c and adds d, which the earlier run lacked.
func newOutputs() []output {
	return []output{textOutput("a.csv", "new a"), textOutput("b.png", "new b"),
		textOutput("c.csv", "new c"), textOutput("d.csv", "new d")}
}

func TestWriteOutputs(t *testing.T) {
	for _, links := range []bool{true, false} {
		dir := t.TempDir()
		writeDir(t, dir, oldRun)
		if !links {
			linkFile = func(string, string) error { return errors.ErrUnsupported }
		}
		paths, err := writeOutputs(dir, newOutputs())
		linkFile = os.Link
		if err != nil {
			t.Fatalf("links %v: writeOutputs: %v", links, err)
		}
		want := map[string]string{"a.csv": "new a", "b.png": "new b", "c.csv": "new c", "d.csv": "new d"}
		if got := readDir(t, dir); !maps.Equal(got, want) {
			t.Errorf("links %v: directory holds %q, want %q", links, got, want)
		}
		for i, name := range slices.Sorted(maps.Keys(want)) {
			if paths[i] != filepath.Join(dir, name) {
				t.Errorf("links %v: paths %q", links, paths)
			}
			if fi, err := os.Stat(paths[i]); err != nil || fi.Mode().Perm() != outputPerm {
				t.Errorf("links %v: %s: mode %v, error %v; want %v", links, name, fi.Mode(), err, os.FileMode(outputPerm))
			}
		}
	}
}

// TestWriteOutputsFailure checks that a run failing while writing its
// outputs, in any phase, leaves an earlier run's files as they were and no
// temporary files.
func TestWriteOutputsFailure(t *testing.T) {
	errBoom := errors.New("boom")
	tests := []struct {
		name    string
		setup   func(t *testing.T, dir string, outs []output) []output
		wantErr string
	}{
		{"later writer fails midway", func(_ *testing.T, _ string, outs []output) []output {
			outs[2].write = func(w io.Writer) error {
				io.WriteString(w, "partial")
				return errBoom
			}
			return outs
		}, "c.csv: boom"},
		{"target is a directory", func(t *testing.T, dir string, outs []output) []output {
			if err := os.Mkdir(filepath.Join(dir, "d.csv"), 0o755); err != nil {
				t.Fatal(err)
			}
			return outs
		}, "d.csv: is a directory"},
		{"rename fails", func(t *testing.T, _ string, outs []output) []output {
			replaceFile = func(from, to string) error {
				if strings.HasSuffix(to, "c.csv") {
					return errBoom
				}
				return os.Rename(from, to)
			}
			t.Cleanup(func() { replaceFile = os.Rename })
			return outs
		}, "c.csv: boom"},
		{"rename fails without hard links", func(t *testing.T, _ string, outs []output) []output {
			linkFile = func(string, string) error { return errors.ErrUnsupported }
			replaceFile = func(from, to string) error {
				if strings.HasSuffix(to, "d.csv") {
					return errBoom
				}
				return os.Rename(from, to)
			}
			t.Cleanup(func() { replaceFile, linkFile = os.Rename, os.Link })
			return outs
		}, "d.csv: boom"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeDir(t, dir, oldRun)
			outs := tc.setup(t, dir, newOutputs())
			before := readDir(t, dir)
			_, err := writeOutputs(dir, outs)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error = %v, want one containing %q", err, tc.wantErr)
			}
			if got := readDir(t, dir); !maps.Equal(got, before) {
				t.Errorf("directory holds %q, want it unchanged: %q", got, before)
			}
		})
	}
}

// TestWriteOutputsRemovesCreatedDir checks that a failed write removes the
// output directory it created.
func TestWriteOutputsRemovesCreatedDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	outs := newOutputs()
	outs[1].write = func(io.Writer) error { return errors.New("boom") }
	if _, err := writeOutputs(dir, outs); err == nil {
		t.Fatal("writeOutputs succeeded, want error")
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("failed write left %s: %v", dir, err)
	}
}
