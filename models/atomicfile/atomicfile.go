// Package atomicfile writes files atomically: the new contents are written to
// a temporary file in the destination directory, flushed to stable storage and
// then renamed over the destination, so readers observe either the old file or
// the complete new one, never a partial write. Temporary files left by killed
// writers are removed by the next write to the same path.
package atomicfile

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// WriteFile atomically replaces the file at path with the bytes produced by
// write. The data are written through a buffer to a temporary file created in
// the same directory as path (named ".<name>.tmp-<digits>"), which is given
// permissions perm (exactly, not filtered by the umask), synced, and renamed
// over path; the directory is then synced on a best-effort basis.
//
// If any step fails the temporary file is removed and any existing file at
// path is left untouched. The error returned by write, if any, is wrapped and
// returned.
//
// A save killed before it could clean up leaves its temporary file behind:
// WriteFile first removes those of earlier saves to the same path. On Linux,
// macOS and the BSDs each writer holds an advisory lock (flock) on its
// temporary file until the rename, so a temporary file is removed only when
// it is not locked: its writer is gone. Elsewhere, or where the file system
// does not support flock, a temporary file is removed when it has not been
// modified for StaleAge.
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
	removeStale(dir, base)
	f, err := createLocked(dir, base)
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
	if !renameOpen {
		closed = true
		if err := f.Close(); err != nil {
			return fmt.Errorf("atomicfile: write %s: close: %w", path, err)
		}
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("atomicfile: write %s: rename: %w", path, err)
	}
	if !closed {
		// The lock is released here, once the file has its final name.
		closed = true
		if err := f.Close(); err != nil {
			return fmt.Errorf("atomicfile: write %s: close: %w", path, err)
		}
	}
	SyncDir(dir)
	return nil
}

// StaleAge is how long a temporary file of WriteFile must have gone
// unmodified before a later WriteFile to the same path removes it, where
// its writer cannot be known gone from its lock (see WriteFile).
const StaleAge = 24 * time.Hour

// staleByAge reports whether a temporary file last modified at mod is old
// enough to be removed where its writer's lock cannot tell.
func staleByAge(mod time.Time) bool { return time.Since(mod) >= StaleAge }

// createLocked creates the temporary file for base in dir and locks it.
// Another writer's removeStale may find the file in the instant between
// its creation and its locking and take it for stale: then the lock is
// refused (removeStale holds it) or the file is no longer there once locked,
// and a new temporary file is made.
func createLocked(dir, base string) (*os.File, error) {
	for try := 1; ; try++ {
		f, err := os.CreateTemp(dir, tempPrefix(base)+"*")
		if err != nil {
			return nil, err
		}
		locked, err := tryLock(f)
		if err != nil {
			return f, nil // no locks here: removeStale goes by age
		}
		if locked && sameFile(f, f.Name()) {
			return f, nil
		}
		f.Close() // removeStale removes it, or has
		if try == 10 {
			return nil, fmt.Errorf("temporary files removed while being created, %d times (the last %s)", try, f.Name())
		}
	}
}

// tempPrefix is the start of the names of base's temporary files.
func tempPrefix(base string) string { return "." + base + ".tmp-" }

// isTempName reports whether name is that of one of base's temporary
// files: the prefix, then the digits os.CreateTemp puts for "*".
func isTempName(name, base string) bool {
	rest, ok := strings.CutPrefix(name, tempPrefix(base))
	if !ok || rest == "" {
		return false
	}
	for _, c := range rest {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// removeStale removes the temporary files of base in dir whose writers are
// gone, as WriteFile describes. It is best effort: errors are ignored.
func removeStale(dir, base string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	defer d.Close()
	for {
		entries, err := d.ReadDir(256)
		for _, e := range entries {
			if e.Type().IsRegular() && isTempName(e.Name(), base) {
				removeIfStale(filepath.Join(dir, e.Name()))
			}
		}
		if err != nil {
			return
		}
	}
}

// sameFile reports whether path names the file f is open on.
func sameFile(f *os.File, path string) bool {
	a, err := f.Stat()
	if err != nil {
		return false
	}
	b, err := os.Lstat(path)
	return err == nil && os.SameFile(a, b)
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
