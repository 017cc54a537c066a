// Package atomicfile writes files atomically: the new contents are written to
// a temporary file in the destination directory, flushed to stable storage and
// then renamed over the destination, so readers observe either the old file or
// the complete new one, never a partial write.
package atomicfile

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// WriteFile atomically replaces the file at path with the bytes produced by
// write. The data are written through a buffer to a temporary file created in
// the same directory as path, which is given permissions perm (exactly, not
// filtered by the umask), synced, closed and renamed over path; the directory is then synced on a best-effort basis.
//
// If any step fails the temporary file is removed and any existing file at
// path is left untouched. The error returned by write, if any, is wrapped and
// returned.
func WriteFile(path string, write func(w io.Writer) error, perm os.FileMode) (err error) {
	if write == nil {
		return fmt.Errorf("atomicfile: write %s: nil write function", path)
	}
	dir, base := filepath.Split(path)
	if base == "" {
		return fmt.Errorf("atomicfile: write %q: path names a directory", path)
	}
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("atomicfile: write %s: %w", path, err)
	}
	tmp := f.Name()
	closed := false
	defer func() {
		if err == nil {
			return
		}
		if !closed {
			f.Close()
		}
		os.Remove(tmp)
	}()

	bw := bufio.NewWriter(f)
	if err := write(bw); err != nil {
		return fmt.Errorf("atomicfile: write %s: %w", path, err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("atomicfile: write %s: flush: %w", path, err)
	}
	if err := f.Chmod(perm); err != nil {
		return fmt.Errorf("atomicfile: write %s: chmod: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("atomicfile: write %s: sync: %w", path, err)
	}
	closed = true
	if err := f.Close(); err != nil {
		return fmt.Errorf("atomicfile: write %s: close: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("atomicfile: write %s: rename: %w", path, err)
	}
	SyncDir(dir)
	return nil
}

// WriteBytes atomically replaces the file at path with data, with the same
// guarantees as WriteFile.
func WriteBytes(path string, data []byte, perm os.FileMode) error {
	return WriteFile(path, func(w io.Writer) error {
		_, err := io.Copy(w, bytes.NewReader(data))
		return err
	}, perm)
}

// SyncDir flushes a directory's entries after a completed rename. Errors are
// ignored: some platforms and file systems do not support syncing directories
// and the rename has already succeeded.
func SyncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync()
	_ = d.Close()
}
