package main

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"
)

func TestMissingTorchSaysHowToInstall(t *testing.T) {
	var out, errb bytes.Buffer
	err := run([]string{"-python", "/nonexistent/python3", "-runs", "1", "-workloads", "W2"}, &out, &errb)
	if !errors.Is(err, errNoTorch) {
		t.Fatalf("error %v, want errNoTorch", err)
	}
	if !strings.Contains(errb.String(), "apt-get install -y --no-install-recommends python3-torch python3-numpy") {
		t.Errorf("no install hint in %q", errb.String())
	}
}

func TestBadArguments(t *testing.T) {
	for _, args := range [][]string{
		{"-runs", "0"},
		{"-workloads", "W1,W9"},
		{"-worker", "W9"},
	} {
		var out, errb bytes.Buffer
		if err := run(args, &out, &errb); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
}

func TestMedian(t *testing.T) {
	for _, c := range []struct {
		xs   []float64
		want float64
	}{
		{[]float64{3, 1, 2}, 2},
		{[]float64{4, 1, 3, 2}, 2.5},
		{[]float64{5}, 5},
	} {
		if got := median(c.xs); got != c.want {
			t.Errorf("median(%v) = %v, want %v", c.xs, got, c.want)
		}
	}
	if !math.IsNaN(median(nil)) {
		t.Error("median of nothing is not NaN")
	}
}

func TestMarkdown(t *testing.T) {
	loss := 0.5
	rs := []results{{
		id: "W1",
		gornn: []record{
			{Seconds: 1, FinalLoss: &loss, ChildPeakRSSMB: 20, RSSByEpoch: map[string]float64{"50": 20, "500": 21}},
			{Seconds: 3, FinalLoss: &loss, ChildPeakRSSMB: 22, RSSByEpoch: map[string]float64{"50": 20, "500": 21}},
		},
		pytorch: []record{{Seconds: 4, Torch: "1.13", ChildPeakRSSMB: 240}, {Seconds: 4, ChildPeakRSSMB: 240}},
	}}
	md := markdown(config{runs: 2, python: "python3"}, rs, 0)
	for _, want := range []string{
		"| W1 | 2.000 | 4.000 | 0.50 |",
		"PyTorch 1.13",
		"Epoch 500 against epoch 50: +5.0%",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
}
