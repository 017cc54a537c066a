package atomicfile

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedHere reports whether this system locks temporary files (see
// lock_flock.go), checked on a scratch file.
func lockedHere(t *testing.T) bool {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "probe")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ok, err := tryLock(f)
	return ok && err == nil
}

// names returns the sorted names in dir.
func names(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

func TestIsTempName(t *testing.T) {
	for name, want := range map[string]bool{
		".out.txt.tmp-123":      true,
		".out.txt.tmp-0":        true,
		".out.txt.tmp-":         false,
		".out.txt.tmp-12a":      false,
		".out.txt.tmp-1.tmp-2":  false,
		"out.txt.tmp-123":       false,
		".out.txt":              false,
		".other.txt.tmp-123":    false,
		"..out.txt.tmp-123":     false,
		".out.txt.tmp-123 ":     false,
		".out.txt.tmp-1234567":  true,
		".out.txtx.tmp-1234567": false,
	} {
		if got := isTempName(name, "out.txt"); got != want {
			t.Errorf("isTempName(%q) = %v, want %v", name, got, want)
		}
	}
}

// TestWriteFileRemovesStaleTemps simulates saves killed mid-write (their
// temporary files, unlocked) and a live one (locked by another open file,
// as its writer would hold it), then saves: the stale ones are gone, the
// live one and every file that is not a temporary file of this path stay.
func TestWriteFileRemovesStaleTemps(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.txt")
	locks := lockedHere(t)
	old := time.Now().Add(-2 * StaleAge)
	write := func(name string, age time.Time) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("partial "+name), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, age, age); err != nil {
			t.Fatal(err)
		}
	}
	// Killed saves: recent and old. Without locks only the old go.
	write(".out.txt.tmp-111", time.Now())
	write(".out.txt.tmp-222", old)
	// Not temporary files of out.txt.
	keep := []string{".out.txt.tmp-abc", ".other.txt.tmp-444", "out.txt.tmp-555", ".out.txt.tmp-", "notes"}
	for _, n := range keep {
		write(n, old)
	}
	if err := os.Mkdir(filepath.Join(dir, ".out.txt.tmp-666"), 0o755); err != nil {
		t.Fatal(err)
	}
	keep = append(keep, ".out.txt.tmp-666")
	if err := os.Symlink("notes", filepath.Join(dir, ".out.txt.tmp-777")); err == nil {
		keep = append(keep, ".out.txt.tmp-777")
	}
	// A live writer: its file open and locked (only where there are locks).
	if locks {
		write(".out.txt.tmp-333", old)
		live, err := os.OpenFile(filepath.Join(dir, ".out.txt.tmp-333"), os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer live.Close()
		if ok, err := tryLock(live); !ok || err != nil {
			t.Fatalf("locking the live file: %v, %v", ok, err)
		}
		keep = append(keep, ".out.txt.tmp-333")
	} else {
		keep = append(keep, ".out.txt.tmp-111") // recent: kept until StaleAge
	}

	if err := WriteBytes(path, []byte("new"), 0o644); err != nil {
		t.Fatal(err)
	}
	want := append(slices.Clone(keep), "out.txt")
	slices.Sort(want)
	if got := names(t, dir); !slices.Equal(got, want) {
		t.Errorf("directory holds %q, want %q", got, want)
	}
	if got, err := os.ReadFile(path); err != nil || string(got) != "new" {
		t.Errorf("out.txt = %q, %v", got, err)
	}
	if got, err := os.ReadFile(filepath.Join(dir, "notes")); err != nil || string(got) != "partial notes" {
		t.Errorf("the symbolic link's target changed: %q, %v", got, err)
	}
}

func TestStaleByAge(t *testing.T) {
	if staleByAge(time.Now().Add(-StaleAge+time.Minute)) || !staleByAge(time.Now().Add(-StaleAge-time.Minute)) {
		t.Error("staleByAge does not go by StaleAge")
	}
}

// TestRemoveStaleByAge checks the fallback used without locks: a file is
// removed once unmodified for StaleAge.
func TestRemoveStaleByAge(t *testing.T) {
	if lockedHere(t) {
		t.Skip("this system locks temporary files: removeIfStale goes by lock (TestWriteFileRemovesStaleTemps)")
	}
	dir := t.TempDir()
	recent, old := filepath.Join(dir, ".a.tmp-1"), filepath.Join(dir, ".a.tmp-2")
	for _, p := range []string{recent, old} {
		if err := os.WriteFile(p, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	ago := time.Now().Add(-StaleAge - time.Minute)
	if err := os.Chtimes(old, ago, ago); err != nil {
		t.Fatal(err)
	}
	removeStale(dir, "a")
	if got := names(t, dir); !slices.Equal(got, []string{".a.tmp-1"}) {
		t.Errorf("directory holds %q, want only the recent file", got)
	}
}

// TestConcurrentWritersKeepTheirFiles: writers saving to the same path at
// once each remove the others' stale files but never a live one, so every
// save succeeds and none is left behind.
func TestConcurrentWritersKeepTheirFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.txt")
	const writers, saves = 6, 40
	var wg sync.WaitGroup
	errs := make(chan error, writers*saves)
	for w := range writers {
		wg.Go(func() {
			for i := range saves {
				data := bytes.Repeat([]byte{byte('a' + w)}, 2000+i)
				if err := WriteBytes(path, data, 0o644); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := names(t, dir); !slices.Equal(got, []string{"out.txt"}) {
		t.Errorf("directory holds %q, want only out.txt", got)
	}
	got, err := os.ReadFile(path)
	if err != nil || len(got) < 2000 || bytes.Count(got, got[:1]) != len(got) {
		t.Errorf("out.txt holds %d bytes, not one writer's save (%v)", len(got), err)
	}
}

// childEnv names the file a child process of
// TestKilledWriterLeavesNothingForever saves to.
const childEnv = "GORNN_ATOMICFILE_CHILD_PATH"

// TestKilledWriterLeavesNothingForever starts a child process that saves
// and hangs in the middle of writing; while it lives, another save leaves
// its temporary file alone; once it is killed, the next save removes it.
func TestKilledWriterLeavesNothingForever(t *testing.T) {
	if path := os.Getenv(childEnv); path != "" {
		// The child: write 64 KB, say so, and hang until killed.
		err := WriteFile(path, func(w io.Writer) error {
			if _, err := w.Write(make([]byte, 64<<10)); err != nil {
				return err
			}
			if bw, ok := w.(*bufio.Writer); ok {
				bw.Flush()
			}
			fmt.Println("writing")
			// Hang until killed, asleep on a timer: a bare select {}
			// leaves no goroutine that can run, and the runtime ends
			// the process with "all goroutines are asleep" (releasing
			// its lock) as soon as it notices, racing the parent.
			for {
				time.Sleep(time.Hour)
			}
		}, 0o644)
		fmt.Println(err)
		os.Exit(1)
	}
	if !lockedHere(t) {
		t.Skip("no file locks here: a killed writer's file goes after StaleAge")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Skip(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "model.safetensors")
	cmd := exec.Command(exe, "-test.run=^TestKilledWriterLeavesNothingForever$")
	cmd.Env = append(os.Environ(), childEnv+"="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "writing" {
		t.Fatalf("child: %q, %v", line, err)
	}
	temps := func() []string {
		var out []string
		for _, n := range names(t, dir) {
			if isTempName(n, "model.safetensors") {
				out = append(out, n)
			}
		}
		return out
	}
	live := temps()
	if len(live) != 1 {
		t.Fatalf("temporary files %q, want the child's", live)
	}
	// The child is alive: its file stays.
	if err := WriteBytes(path, []byte("one"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := temps(); !slices.Equal(got, live) {
		t.Fatalf("after a save beside a live writer: temporary files %q, want %q", got, live)
	}
	// Killed: the next save removes it.
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	var exitErr *exec.ExitError
	if err := cmd.Wait(); err != nil && !errors.As(err, &exitErr) {
		t.Fatal(err)
	}
	if got := temps(); !slices.Equal(got, live) {
		t.Fatalf("the killed writer's file: %q, want %q", got, live)
	}
	if err := WriteBytes(path, []byte("two"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := names(t, dir); !slices.Equal(got, []string{"model.safetensors"}) {
		t.Errorf("after the writer was killed, a save leaves %q, want only model.safetensors", got)
	}
}
