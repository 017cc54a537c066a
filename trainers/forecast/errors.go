package forecast

import "errors"

// ErrData is wrapped by every error about the data given: empty, too short
// for the window and horizon, not finite, of unequal lengths.
var ErrData = errors.New("forecast: bad data")

// ErrArgument is wrapped by every error about a setting: a horizon, season,
// window or count that is not positive, an unknown name.
var ErrArgument = errors.New("forecast: bad argument")
