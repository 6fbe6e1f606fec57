package config

import (
	"fmt"
	"regexp"
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

// quoted finds the first double-quoted value in an error message.
var quoted = regexp.MustCompile(`"((?:[^"\\]|\\.)*)"`)

// withLine adds the position to a decoding error that lacks one. yaml.v2
// puts "line N" in its own errors, but errors from custom unmarshalers
// (durations, URLs, secrets) come without: those quote the bad value, so the
// value is looked up in the document to find where it is.
func withLine(data []byte, err error) error {
	msg := err.Error()
	if strings.Contains(msg, "line ") {
		return err
	}
	m := quoted.FindStringSubmatch(msg)
	if m == nil {
		return err
	}
	value, uerr := strconv.Unquote(`"` + m[1] + `"`)
	if uerr != nil {
		value = m[1]
	}
	var doc yamlv3.Node
	if yamlv3.Unmarshal(data, &doc) != nil {
		return err
	}
	if key, line := findScalar(&doc, "", value); line > 0 {
		return fmt.Errorf("line %d: %s: %w", line, key, err)
	}
	return err
}

// findScalar returns the key path and line of the first scalar value equal
// to value under node.
func findScalar(node *yamlv3.Node, path, value string) (string, int) {
	switch node.Kind {
	case yamlv3.DocumentNode:
		for _, c := range node.Content {
			if k, l := findScalar(c, path, value); l > 0 {
				return k, l
			}
		}
	case yamlv3.MappingNode:
		for i := 0; i+1 < len(node.Content); i += 2 {
			key := node.Content[i].Value
			if path != "" {
				key = path + "." + key
			}
			if k, l := findScalar(node.Content[i+1], key, value); l > 0 {
				return k, l
			}
		}
	case yamlv3.SequenceNode:
		for i, c := range node.Content {
			if k, l := findScalar(c, fmt.Sprintf("%s[%d]", path, i), value); l > 0 {
				return k, l
			}
		}
	case yamlv3.ScalarNode:
		if node.Value == value {
			return path, node.Line
		}
	}
	return "", 0
}
