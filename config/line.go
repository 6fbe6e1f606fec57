package config

import (
	"strconv"
	"strings"

	yamlv3 "go.yaml.in/yaml/v3"
)

// lineOf finds the line of a key given as a FieldError path ("auth.iam",
// "tasks[2].id") in the YAML document, or 0. yaml.v2, which decodes the file
// (prometheus/common's types are written for it), gives no positions after
// decoding, so the document is walked once more as a node tree; this only
// happens for a file that failed validation.
func lineOf(data []byte, path string) int {
	var doc yamlv3.Node
	if yamlv3.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 {
		return 0
	}
	node, line := doc.Content[0], doc.Content[0].Line
	for _, part := range strings.Split(path, ".") {
		key, index, hasIndex := splitIndex(part)
		next, keyLine := mapValue(node, key)
		if next == nil {
			return line
		}
		node, line = next, keyLine
		if hasIndex {
			if node.Kind != yamlv3.SequenceNode || index >= len(node.Content) {
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
func mapValue(node *yamlv3.Node, key string) (*yamlv3.Node, int) {
	if node.Kind != yamlv3.MappingNode {
		return nil, 0
	}
	for i := 0; i+1 < len(node.Content); i += 2 {
		if node.Content[i].Value == key {
			return node.Content[i+1], node.Content[i].Line
		}
	}
	return nil, 0
}
