package config

import (
	"go.yaml.in/yaml/v3"
)

// Literal returns the scalar at path in the YAML document doc as it is
// written there; path holds map keys (string) and list indices (int). A
// number the decoder could not hold (YAML loads an integer past int64 as a
// float, which then converts to nonsense) can only be shown to its author
// this way. ok is false when doc has no scalar at path.
func Literal(doc []byte, path ...any) (string, bool) {
	var root yaml.Node
	if err := yaml.Unmarshal(doc, &root); err != nil || len(root.Content) == 0 {
		return "", false
	}
	n := root.Content[0]
	for _, step := range path {
		n = child(n, step)
		if n == nil {
			return "", false
		}
	}
	if n.Kind != yaml.ScalarNode {
		return "", false
	}
	return n.Value, true
}

// child is the node at step (a key of a mapping or an index of a
// sequence) below n, or nil.
func child(n *yaml.Node, step any) *yaml.Node {
	for n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	switch s := step.(type) {
	case string:
		if n.Kind != yaml.MappingNode {
			return nil
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == s {
				return n.Content[i+1]
			}
		}
	case int:
		if n.Kind == yaml.SequenceNode && s >= 0 && s < len(n.Content) {
			return n.Content[s]
		}
	}
	return nil
}
