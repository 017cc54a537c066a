//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package atomicfile

import (
	"errors"
	"os"
)

// renameOpen: the temporary file is closed before it is renamed (Windows
// cannot rename an open file).
const renameOpen = false

// errNoLocks says that temporary files are not locked on this system.
var errNoLocks = errors.New("atomicfile: no file locks on this system")

// tryLock reports that there are no locks here.
func tryLock(*os.File) (bool, error) { return false, errNoLocks }

// removeIfStale removes the temporary file at path if it has not been
// modified for StaleAge. (On Windows, a file that a live writer holds open
// cannot be removed anyway.)
func removeIfStale(path string) {
	fi, err := os.Lstat(path)
	if err != nil || !fi.Mode().IsRegular() || !staleByAge(fi.ModTime()) {
		return
	}
	os.Remove(path)
}
