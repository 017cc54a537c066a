package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

func TestWriteFile(t *testing.T) {
	errBoom := errors.New("boom")
	tests := []struct {
		name    string
		old     []byte // existing contents; nil means no file
		write   func(w io.Writer) error
		wantErr error
		want    []byte // expected contents afterwards; nil means no file
	}{
		{
			name:  "new file",
			write: func(w io.Writer) error { _, err := io.WriteString(w, "hello"); return err },
			want:  []byte("hello"),
		},
		{
			name:  "replace existing",
			old:   []byte("old contents"),
			write: func(w io.Writer) error { _, err := io.WriteString(w, "new"); return err },
			want:  []byte("new"),
		},
		{
			name: "write error keeps old file",
			old:  []byte("old contents"),
			write: func(w io.Writer) error {
				if _, err := io.WriteString(w, "partial"); err != nil {
					return err
				}
				return errBoom
			},
			wantErr: errBoom,
			want:    []byte("old contents"),
		},
		{
			name:    "write error creates nothing",
			write:   func(io.Writer) error { return errBoom },
			wantErr: errBoom,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "out.txt")
			if tc.old != nil {
				if err := os.WriteFile(path, tc.old, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			err := WriteFile(path, tc.write, 0o640)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("WriteFile error = %v, want %v", err, tc.wantErr)
				}
			} else if err != nil {
				t.Fatalf("WriteFile: %v", err)
			}
			got, readErr := os.ReadFile(path)
			switch {
			case tc.want == nil:
				if !errors.Is(readErr, os.ErrNotExist) {
					t.Errorf("file exists after failed write (read err %v)", readErr)
				}
			case readErr != nil:
				t.Fatalf("reading result: %v", readErr)
			case string(got) != string(tc.want):
				t.Errorf("contents = %q, want %q", got, tc.want)
			}
			if tc.wantErr == nil {
				fi, err := os.Stat(path)
				if err != nil {
					t.Fatal(err)
				}
				if gotPerm := fi.Mode().Perm(); runtime.GOOS != "windows" && gotPerm != 0o640 {
					t.Errorf("perm = %v, want %v", gotPerm, os.FileMode(0o640))
				}
			}
			assertOnlyFile(t, dir, tc.want != nil)
		})
	}
}

// assertOnlyFile checks that dir holds out.txt (if wantFile) and nothing
// else, i.e. no temporary files were left behind.
func assertOnlyFile(t *testing.T, dir string, wantFile bool) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	want := 0
	if wantFile {
		want = 1
	}
	if len(names) != want || (wantFile && names[0] != "out.txt") {
		t.Errorf("directory holds %q, want only out.txt=%v", names, wantFile)
	}
}

func TestWriteBytes(t *testing.T) {
	tests := []struct {
		name string
		data []byte
	}{
		{"empty", []byte{}},
		{"nil", nil},
		{"text", []byte("a,b\n1,2\n")},
		{"large", make([]byte, 1<<20)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "out.txt")
			if err := WriteBytes(path, tc.data, 0o644); err != nil {
				t.Fatalf("WriteBytes: %v", err)
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(tc.data) {
				t.Errorf("got %d bytes, want %d", len(got), len(tc.data))
			}
			assertOnlyFile(t, dir, true)
		})
	}
}

func TestWriteFileErrors(t *testing.T) {
	ok := func(w io.Writer) error { _, err := io.WriteString(w, "x"); return err }
	dir := t.TempDir()
	// A regular file used as a parent directory cannot be written into,
	// even by root.
	notDir := filepath.Join(dir, "plain")
	if err := os.WriteFile(notDir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		path  string
		write func(io.Writer) error
	}{
		{"missing directory", filepath.Join(dir, "no", "such", "dir", "f.txt"), ok},
		{"parent is a file", filepath.Join(notDir, "f.txt"), ok},
		{"nil write func", filepath.Join(dir, "f.txt"), nil},
		{"path is a directory", dir + string(filepath.Separator), ok},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := WriteFile(tc.path, tc.write, 0o644); err == nil {
				t.Errorf("WriteFile(%q) succeeded, want error", tc.path)
			}
		})
	}
}

// TestWriteFileUnwritableDir: when the temporary file cannot be created
// (here the "directory" is a regular file, which holds even for root, who
// ignores permission bits), the write fails and creates nothing.
func TestWriteFileUnwritableDir(t *testing.T) {
	notDir := filepath.Join(t.TempDir(), "plain")
	if err := os.WriteFile(notDir, []byte("a file"), 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(notDir, "out.txt")
	if err := WriteBytes(path, []byte("x"), 0o644); err == nil {
		t.Fatal("WriteBytes below a regular file succeeded, want error")
	}
	if _, err := os.Stat(path); err == nil {
		t.Error("file created despite error")
	}
	if got, err := os.ReadFile(notDir); err != nil || string(got) != "a file" {
		t.Errorf("the parent file changed: %q, %v", got, err)
	}
}
