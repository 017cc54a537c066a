package forecast

import (
	"errors"

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
