package forecast

import (
	"errors"
	"fmt"
	"strings"

	"github.com/gornn/gornn/graph"
)

// ErrData is wrapped by every error about the data given: empty, too short
// for the window and horizon, not finite, of unequal lengths.
var ErrData = errors.New("bad data")

// ErrArgument is wrapped by every error about a setting: a horizon, season,
// window or count that is not positive, an unknown name, Settings out of
// range. It is a graph.ErrConfig, gornn's one sentinel of configuration
// errors (and so a graph.ErrArgument): errors.Is(err, graph.ErrConfig)
// holds for every error wrapping it.
var ErrArgument error = argumentError{}

// argumentError is ErrArgument's type: a sentinel whose parent is
// graph.ErrConfig, keeping its own message.
type argumentError struct{}

func (argumentError) Error() string { return "bad argument" }
func (argumentError) Unwrap() error { return graph.ErrConfig }

// SeriesError is FitMany's error about one of its series: Series is its
// index in the slice given, Err what went wrong with it (Fit's error).
// It says the package's name once: "forecast: series 3: bad data: ...".
type SeriesError struct {
	Series int
	Err    error
}

func (e *SeriesError) Error() string {
	return fmt.Sprintf("forecast: series %d: %s", e.Series, strings.TrimPrefix(e.Err.Error(), "forecast: "))
}

func (e *SeriesError) Unwrap() error { return e.Err }
