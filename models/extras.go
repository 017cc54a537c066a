package models

import "github.com/gornn/gornn/graph"

// Extras are tensors and metadata stored beside a model's weights in its
// file, such as a training checkpoint's optimizer state.
type Extras struct {
	// Tensors are stored under their own names, which must not clash with
	// a weight's ("<layer>/<weight>") or be empty; float32 or float64, rank
	// 1 to MaxRank. LoadWith returns them in their stored dtype.
	Tensors map[string]*graph.Tensor
	// Meta entries are stored in the file's metadata, and covered by its
	// header checksum; the keys "format", "model", "checksums",
	// "extra_tensors" and "header_checksum" are the model file's own, and
	// "training" is used by trainers' checkpoints. The whole header (all
	// metadata and tensor descriptions) is at most MaxHeaderBytes.
	Meta map[string]string
}

// SaveWith is Save with extra tensors and metadata in the same file,
// written atomically. Extra names must not clash with the model's.
func SaveWith(m *Model, path string, x Extras) error {
	return saveFile(path, m, x.Tensors, x.Meta)
}

// LoadWith is Load that also returns the extras saved by SaveWith.
func LoadWith(path string) (*Model, Extras, error) {
	m, t, meta, err := loadFile(path)
	if err != nil {
		return nil, Extras{}, err
	}
	return m, Extras{Tensors: t, Meta: meta}, nil
}
