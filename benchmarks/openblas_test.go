package benchmarks

import (
	"slices"
	"testing"
)

// TestChooseOpenBLASCore checks the force-and-verify step compare and
// stepplot share: a weak core is forced to the processor's when OpenBLAS
// takes it, left alone when it does not or when the user set
// OPENBLAS_CORETYPE, and a good core is never touched.
func TestChooseOpenBLASCore(t *testing.T) {
	t.Setenv("OPENBLAS_CORETYPE", "")
	takes := func(env []string) string {
		if slices.Contains(env, "OPENBLAS_CORETYPE=SkylakeX") {
			return "SkylakeX"
		}
		return "Prescott"
	}
	refuses := func([]string) string { return "Prescott" }
	for _, c := range []struct {
		name, reported string
		probe          func([]string) string
		env            []string
		core, forced   string
	}{
		{"weak, taken", "Prescott", takes, []string{"OPENBLAS_CORETYPE=SkylakeX"}, "SkylakeX", "SkylakeX"},
		{"weak, refused", "Prescott", refuses, nil, "Prescott", "SkylakeX"},
		{"weak, no answer", "Prescott", func([]string) string { return "" }, nil, "Prescott", "SkylakeX"},
		{"good", "SkylakeX", takes, nil, "SkylakeX", ""},
	} {
		env, core, forced := ChooseOpenBLASCore(c.reported, "SkylakeX", ISAAVX512, c.probe)
		if !slices.Equal(env, c.env) || core != c.core || forced != c.forced {
			t.Errorf("%s: got %q, %q, %q; want %q, %q, %q", c.name, env, core, forced, c.env, c.core, c.forced)
		}
	}
	t.Setenv("OPENBLAS_CORETYPE", "Haswell")
	if env, core, forced := ChooseOpenBLASCore("Prescott", "SkylakeX", ISAAVX512, takes); env != nil || core != "Prescott" || forced != "" {
		t.Errorf("preset OPENBLAS_CORETYPE: got %q, %q, %q; want it left alone", env, core, forced)
	}
}
