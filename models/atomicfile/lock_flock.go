//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package atomicfile

import (
	"errors"
	"os"
	"syscall"
)

// renameOpen: the temporary file is renamed while still open, so that its
// writer holds the lock until the file has its final name.
const renameOpen = true

// tryLock takes an exclusive flock on f without waiting. It returns false
// if another open file holds one, and an error if the file system does not
// support flock.
func tryLock(f *os.File) (bool, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return false, err
	}
	var lockErr error
	if err := rc.Control(func(fd uintptr) {
		for {
			lockErr = syscall.Flock(int(fd), syscall.LOCK_EX|syscall.LOCK_NB)
			if lockErr != syscall.EINTR {
				return
			}
		}
	}); err != nil {
		return false, err
	}
	if errors.Is(lockErr, syscall.EWOULDBLOCK) {
		return false, nil
	}
	return lockErr == nil, lockErr
}

// removeIfStale removes the temporary file at path if no writer holds its
// lock (or, on a file system without flock, if it is older than StaleAge).
// The file is removed while locked, and only if path still names it.
func removeIfStale(path string) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return
	}
	defer f.Close()
	locked, err := tryLock(f)
	if err != nil {
		fi, err := f.Stat()
		if err != nil || !staleByAge(fi.ModTime()) {
			return
		}
	} else if !locked {
		return // its writer is alive
	}
	if sameFile(f, path) {
		os.Remove(path)
	}
}
