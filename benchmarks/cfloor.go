package benchmarks

import (
	"bytes"
	_ "embed"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/models"
)

// The native floor: cfloor/floor.c is a hand-written, fused C
// implementation of the W1–W3 training loops (forward, backpropagation
// through time and SGD in one function per step, a polynomial exp), fed the
// same data, initial weights and batch order as gornn. It is a benchmark
// anchor (how fast these loops can run on this processor), not part of the
// library, which stays pure Go.

//go:embed cfloor/floor.c
var floorSource []byte

// FloorSource returns the C source of the native floor.
func FloorSource() []byte { return bytes.Clone(floorSource) }

// ErrNoCompiler reports that no C compiler was found for the native floor.
var ErrNoCompiler = errors.New("no C compiler (cc, gcc or clang) on PATH")

// floorMagic is "GRNF" read as a little-endian int32.
const floorMagic = 0x464e5247

// FloorInput is everything the C floor trains on: the data, the initial
// parameters and the batch order of a gornn training run.
type FloorInput struct {
	Kind     Kind
	N, T, U  int // samples, time steps, units (one input feature)
	Batch    int
	Epochs   int
	MaxSteps int // stop after this many steps (0: train all epochs)
	LR       float64
	X, Y     []float32 // [N, T] each
	// Params are the model's parameters in Params() order: recurrent
	// kernel [G, 1, U], recurrent kernel [G, U, U], bias [rows, U], dense
	// kernel [U, 1], dense bias [1].
	Params [5][]float32
	// Perm holds each epoch's sample order, [Epochs][N], as the workloads
	// draw it (Shuffler).
	Perm []int32
}

// gates returns the number of gate blocks and of bias rows of a kind.
func (k Kind) gates() (g, rows int) {
	switch k {
	case LSTM:
		return 4, 4
	case GRU:
		return 3, 6
	}
	return 1, 1
}

// SineFloorInput returns the input of the C floor for the W1–W3 training
// of kind k (epochs 0: 500), with the model gornn trains: same data,
// same initial weights and the batch order the workload draws from the
// same seed.
func SineFloorInput(k Kind, epochs int) (*FloorInput, *models.Model, error) {
	epochs = orDefault(epochs, 500)
	x, y, err := NoisySineWindows(Seed, 50, 10, 0.1)
	if err != nil {
		return nil, nil, err
	}
	m, err := NewRegressor(k, 20, 10, true, Seed)
	if err != nil {
		return nil, nil, err
	}
	in, err := NewFloorInput(k, m, x, y, 8, epochs, rand.New(rand.NewPCG(Seed, 1)))
	if err != nil {
		return nil, nil, err
	}
	return in, m, nil
}

// NewFloorInput captures a training run of a workload for a
// Sequential([k(U, return sequences), Dense(1)]) model m on x, y [N, T, 1]
// in batches of batch: m's current weights and the permutations that
// trainers.Fit with Order: Shuffler(rng) takes for epochs epochs. rng is
// used up as such a Fit would use it.
func NewFloorInput(k Kind, m *models.Model, x, y *graph.Tensor, batch, epochs int, rng *rand.Rand) (*FloorInput, error) {
	xs, y32 := x.Shape(), y.Shape()
	if len(xs) != 3 || xs[2] != 1 || !slicesEqual(xs, y32) || batch < 1 || epochs < 0 {
		return nil, fmt.Errorf("%w: floor input x %v, y %v, batch %d, epochs %d", graph.ErrArgument, xs, y32, batch, epochs)
	}
	n, t := xs[0], xs[1]
	ps := m.Params()
	if len(ps) != 5 {
		return nil, fmt.Errorf("%w: floor model has %d parameters, want 5", graph.ErrArgument, len(ps))
	}
	u := ps[3].Len()
	g, rows := k.gates()
	want := []int{g * u, g * u * u, rows * u, u, 1}
	in := &FloorInput{Kind: k, N: n, T: t, U: u, Batch: batch, Epochs: epochs, LR: LearningRate}
	for i, p := range ps {
		d, ok := graph.Float32Data(p.Value())
		if !ok || len(d) != want[i] {
			return nil, fmt.Errorf("%w: floor parameter %s %v, want %d float32 values", graph.ErrArgument, p.Name(), p.Shape(), want[i])
		}
		in.Params[i] = append([]float32(nil), d...)
	}
	xd, ok1 := graph.Float32Data(x)
	yd, ok2 := graph.Float32Data(y)
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("%w: floor data must be float32", graph.ErrArgument)
	}
	in.X, in.Y = append([]float32(nil), xd...), append([]float32(nil), yd...)
	perm := make([]int, n)
	in.Perm = make([]int32, 0, epochs*n)
	shuffle := Shuffler(rng)
	for e := range epochs {
		// Exactly the workloads' draws: what trainers.Fit does with
		// Order: Shuffler(rng).
		for i := range perm {
			perm[i] = i
		}
		shuffle(e, perm)
		for _, p := range perm {
			in.Perm = append(in.Perm, int32(p))
		}
	}
	return in, nil
}

func slicesEqual(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// WriteTo writes the input in floor.c's format (see its header comment).
func (in *FloorInput) WriteTo(w io.Writer) (int64, error) {
	var b bytes.Buffer
	hd := []int32{floorMagic, 1, int32(in.Kind), int32(in.N), int32(in.T), int32(in.U), int32(in.Batch), int32(in.Epochs), int32(in.MaxSteps), 0}
	for _, v := range []any{hd, in.LR, in.X, in.Y, in.Params[0], in.Params[1], in.Params[2], in.Params[3], in.Params[4], in.Perm} {
		if err := binary.Write(&b, binary.LittleEndian, v); err != nil {
			return 0, err
		}
	}
	return b.WriteTo(w)
}

// WriteFile writes the input to a file.
func (in *FloorInput) WriteFile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := in.WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// FloorResult is what one run of the C floor printed and wrote.
type FloorResult struct {
	Seconds   float64 // the training loop only
	FinalLoss float64 // the last full epoch's loss, NaN if none finished
	LastLoss  float64 // the last step's loss
	Steps     int
	// Params after training and Grads of the last step, in FloorInput's
	// layout (when RunFloor was asked for them).
	Params, Grads [5][]float32
}

// FindCCompiler returns the C compiler the floor is built with: $CC if
// set, else cc, gcc or clang from PATH, or ErrNoCompiler.
func FindCCompiler() (string, error) {
	cands := []string{"cc", "gcc", "clang"}
	if cc := os.Getenv("CC"); cc != "" {
		cands = []string{cc}
	}
	for _, c := range cands {
		if p, err := exec.LookPath(c); err == nil {
			return p, nil
		}
	}
	return "", ErrNoCompiler
}

// FloorCFlags are the flags the floor is compiled with.
var FloorCFlags = []string{"-O3", "-march=native"}

// BuildFloor compiles the C floor into dir and returns the program's path
// and the compile command. The error wraps ErrNoCompiler when there is no
// compiler.
func BuildFloor(dir string) (bin, command string, err error) {
	cc, err := FindCCompiler()
	if err != nil {
		return "", "", err
	}
	src := filepath.Join(dir, "floor.c")
	if err := os.WriteFile(src, floorSource, 0o644); err != nil {
		return "", "", err
	}
	bin = filepath.Join(dir, "floor")
	args := append(append([]string{}, FloorCFlags...), "-o", bin, src, "-lm")
	out, err := exec.Command(cc, args...).CombinedOutput()
	command = filepath.Base(cc) + " " + strings.Join(FloorCFlags, " ")
	if err != nil {
		return "", command, fmt.Errorf("building the C floor (%s %s): %w: %s", cc, strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
	return bin, command, nil
}

// RunFloor runs the built floor program on in, writing its files in dir;
// with outputs it also reads back the final parameters and last gradients.
func RunFloor(bin, dir string, in *FloorInput, outputs bool) (FloorResult, error) {
	inPath := filepath.Join(dir, "input.bin")
	if err := in.WriteFile(inPath); err != nil {
		return FloorResult{}, err
	}
	args := []string{inPath}
	outPath := filepath.Join(dir, "output.bin")
	if outputs {
		args = append(args, outPath)
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return FloorResult{}, fmt.Errorf("%s: %w: %s", bin, err, bytes.TrimSpace(stderr.Bytes()))
	}
	r, err := ParseFloorOutput(stdout.Bytes())
	if err != nil || !outputs {
		return r, err
	}
	b, err := os.ReadFile(outPath)
	if err != nil {
		return r, err
	}
	rd := bytes.NewReader(b)
	for _, dst := range []*[5][]float32{&r.Params, &r.Grads} {
		for i := range dst {
			dst[i] = make([]float32, len(in.Params[i]))
			if err := binary.Read(rd, binary.LittleEndian, dst[i]); err != nil {
				return r, fmt.Errorf("floor output: %w", err)
			}
		}
	}
	return r, nil
}

// ParseFloorOutput parses the JSON line the floor prints.
func ParseFloorOutput(b []byte) (FloorResult, error) {
	var v struct {
		Seconds   float64  `json:"seconds"`
		FinalLoss *float64 `json:"final_loss"`
		Steps     int      `json:"steps"`
		LastLoss  float64  `json:"last_loss"`
	}
	if err := json.Unmarshal(bytes.TrimSpace(b), &v); err != nil {
		return FloorResult{}, fmt.Errorf("floor output %q: %w", b, err)
	}
	r := FloorResult{Seconds: v.Seconds, FinalLoss: math.NaN(), Steps: v.Steps, LastLoss: v.LastLoss}
	if v.FinalLoss != nil {
		r.FinalLoss = *v.FinalLoss
	}
	return r, nil
}
