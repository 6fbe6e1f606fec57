package config

import (
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// lineOf finds the line of a key given as a FieldError path ("auth.iam",
// "tasks[2].id") in the YAML document, or 0. Decoding keeps no positions,
// so the document is read once more as a node tree; this only happens for
// a file that failed validation or has warnings.
func lineOf(data []byte, path string) int {
	return lineFinder(data)(path)
}

// lineFinder is lineOf for several paths: the document is read as a node
// tree once, not once per path.
func lineFinder(data []byte) func(path string) int {
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 {
		return func(string) int { return 0 }
	}
	lines := lineCount(data)
	return func(path string) int { return min(lineIn(doc.Content[0], path), lines) }
}

// lineCount is how many lines YAML sees in data: it also breaks lines at a
// lone CR, NEL, LS and PS. yaml.v3 places some nodes one line past the end
// of the file (the content of a document that ends after its "---").
func lineCount(data []byte) int {
	s := strings.ReplaceAll(string(data), "\r\n", "\n")
	n := 1
	for _, brk := range []string{"\n", "\r", "\u0085", "\u2028", "\u2029"} {
		n += strings.Count(s, brk)
	}
	return n
}

func lineIn(root *yaml.Node, path string) int {
	node, line := root, root.Line
	for _, part := range strings.Split(path, ".") {
		key, index, hasIndex := splitIndex(part)
		next, keyLine := mapValue(node, key)
		if next == nil {
			return line
		}
		node, line = next, keyLine
		if hasIndex {
			if node.Kind != yaml.SequenceNode || index >= len(node.Content) {
				return line
			}
			node = node.Content[index]
			line = node.Line
		}
	}
	return line
}

func splitIndex(part string) (key string, index int, ok bool) {
	open := strings.IndexByte(part, '[')
	if open < 0 || !strings.HasSuffix(part, "]") {
		return part, 0, false
	}
	n, err := strconv.Atoi(part[open+1 : len(part)-1])
	if err != nil {
		return part, 0, false
	}
	return part[:open], n, true
}

// mapValue returns the value node of key in a mapping node, and the line of
// the key.
func mapValue(node *yaml.Node, key string) (*yaml.Node, int) {
	if node.Kind == yaml.AliasNode && node.Alias != nil {
		node = node.Alias
	}
	if node.Kind != yaml.MappingNode {
		return nil, 0
	}
	for i := 0; i+1 < len(node.Content); i += 2 {
		if node.Content[i].Value == key {
			return node.Content[i+1], node.Content[i].Line
		}
	}
	return nil, 0
}
