package models

import (
	"fmt"
	"strconv"
	"strings"
)

// Summary returns the model's summary in Keras' table format: one row per
// layer with its name and type, output shape (None for the batch) and
// parameter count, then the totals. A model made with New also lists its
// InputLayer, as Keras does for functional models.
func (m *Model) Summary() string {
	if m.usable() != nil {
		return ""
	}
	const width = 65
	cols := []int{29, 55, 65}
	var sb strings.Builder
	row := func(fields ...string) {
		// As Keras: one leading space, each column cut to leave two spaces
		// before the next, then padded to the next column's start.
		line := " "
		for i, f := range fields {
			start := 0
			if i > 0 {
				start = cols[i-1]
			}
			space := 2
			if i == len(fields)-1 {
				space = 0
			}
			if cut := cols[i] - start - space; len(f) > cut {
				f = f[:cut]
			}
			line += f + strings.Repeat(" ", space)
			if pad := cols[i] - len(line); pad > 0 {
				line += strings.Repeat(" ", pad)
			}
		}
		sb.WriteString(strings.TrimRight(line, " ") + "\n")
	}
	fmt.Fprintf(&sb, "Model: %q\n", m.name)
	sb.WriteString(strings.Repeat("_", width) + "\n")
	row("Layer (type)", "Output Shape", "Param #")
	sb.WriteString(strings.Repeat("=", width) + "\n")
	if m.functional {
		for i, s := range m.InputShapes() {
			row(fmt.Sprintf("input_%d (InputLayer)", i+1), "[("+shapeString(s)+")]", "0")
			sb.WriteString("\n")
		}
	}
	for i, l := range m.layers {
		n := 0
		for _, p := range l.Params() {
			n += p.Len()
		}
		row(fmt.Sprintf("%s (%s)", l.Name(), l.ClassName()), "("+shapeString(m.shapes[i])+")", strconv.Itoa(n))
		if m.wiring != nil {
			// Keras' "Connected to": what the layer reads.
			sb.WriteString("   <- " + m.connections(i) + "\n")
		}
		sb.WriteString("\n")
	}
	sb.WriteString(strings.Repeat("=", width) + "\n")
	total := m.CountParams()
	fmt.Fprintf(&sb, "Total params: %s\n", thousands(total))
	fmt.Fprintf(&sb, "Trainable params: %s\n", thousands(total))
	sb.WriteString("Non-trainable params: 0\n")
	sb.WriteString(strings.Repeat("_", width) + "\n")
	return sb.String()
}

func shapeString(sample []int) string {
	parts := []string{"None"}
	for _, d := range sample {
		parts = append(parts, strconv.Itoa(d))
	}
	return strings.Join(parts, ", ")
}

// thousands formats n with comma separators, as Keras prints totals.
func thousands(n int) string {
	s := strconv.Itoa(n)
	var out []byte
	for i := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}

// connections names what layer i of a graph model reads: inputs, layers,
// and layers' states ("lstm[state 1]").
func (m *Model) connections(i int) string {
	w := m.wiring.Layers[i]
	var parts []string
	name := func(s source) string {
		switch {
		case s.Layer < 0:
			return fmt.Sprintf("input_%d", s.Index+1)
		case s.Index < 0:
			return m.layers[s.Layer].Name()
		}
		return fmt.Sprintf("%s[state %d]", m.layers[s.Layer].Name(), s.Index)
	}
	for _, s := range w.Inputs {
		parts = append(parts, name(s))
	}
	for _, s := range w.Initial {
		parts = append(parts, "initial "+name(s))
	}
	return strings.Join(parts, ", ")
}
