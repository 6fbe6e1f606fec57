package config

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"maps"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	promconfig "github.com/prometheus/common/config"
	"github.com/prometheus/common/model"
	"go.yaml.in/yaml/v3"
)

// decode reads the one YAML document of data into cfg. Strict: an unknown
// key or a second document is an error, not silently ignored.
func decode(data []byte, cfg *Config) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	switch err := dec.Decode(cfg); {
	case err == io.EOF:
		return errors.New("the file holds no YAML document, only comments")
	case err != nil:
		return explain(data, err)
	}
	// yaml.v3 decodes a document without content ("---" alone, "~") into
	// nothing, without an error.
	if reflect.ValueOf(*cfg).IsZero() {
		if doc := document(data); doc != nil && doc.Content[0].Tag == "!!null" {
			return &FieldError{Line: doc.Line, Msg: "the YAML document that starts here holds no keys: start from " +
				ExampleFile + ", or run with --demo"}
		}
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case err == io.EOF:
		return nil
	case err != nil:
		return syntaxError(data, err)
	}
	return &FieldError{Line: next.Line, Msg: "a second YAML document starts here: the file must hold one document"}
}

// document is data's first YAML document as a node tree, nil if none.
func document(data []byte) *yaml.Node {
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 {
		return nil
	}
	return &doc
}

// pathPart is a step of a FieldError path: a key, or an index ("2" of "[2]").
var pathPart = regexp.MustCompile(`[^.\[\]]+`)

// lineOf is the line of the key at path ("auth.iam", "tasks[2].id") in
// doc, or of the deepest part of path that doc has; 0 without doc. Decoding
// keeps no positions: a file refused or warned about is read again.
func lineOf(doc *yaml.Node, path string) int {
	if doc == nil {
		return 0
	}
	node, line := doc.Content[0], doc.Content[0].Line
	for _, part := range pathPart.FindAllString(path, -1) {
		node = resolve(node)
		var next *yaml.Node
		if i, err := strconv.Atoi(part); err == nil && node.Kind == yaml.SequenceNode && i < len(node.Content) {
			next, line = node.Content[i], node.Content[i].Line
		}
		for k := 0; node.Kind == yaml.MappingNode && k+1 < len(node.Content) && next == nil; k += 2 {
			if node.Content[k].Value == part {
				next, line = node.Content[k+1], node.Content[k].Line
			}
		}
		if next == nil {
			break
		}
		node = next
	}
	return line
}

func resolve(node *yaml.Node) *yaml.Node {
	if node.Kind == yaml.AliasNode && node.Alias != nil {
		return node.Alias
	}
	return node
}

// explain says why yaml.v3 refused the document in the file's terms, key
// path and line, never a Go type: yaml.v3's errors name Go types, and those
// of custom unmarshalers (durations, http_client_config's checks) have
// neither line nor key. So the node tree is walked beside the Go type:
// unknown or repeated keys and nodes of the wrong kind are found on the
// way, and each scalar that needs more than a string, and each mapping
// that checks itself, is decoded alone, for yaml.v3's own verdict.
func explain(data []byte, decodeErr error) error {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return syntaxError(data, err)
	}
	if len(doc.Content) > 0 {
		root := doc.Content[0]
		if root.Kind != yaml.MappingNode {
			return &FieldError{Line: root.Line, Msg: "the file must be a mapping of keys (region, auth, tasks, ...), got " +
				describe(root, nil)}
		}
		if fe := walk(root, reflect.TypeFor[Config](), "", root.Line); fe != nil {
			return fe
		}
	}
	// The last resort: yaml.v3's message without Go types or values.
	msg := unknownField.ReplaceAllString(decodeErr.Error(), "unknown key $1")
	msg = wrongType.ReplaceAllString(msg, "a value of the wrong type ($1)")
	return errors.New(backquoted.ReplaceAllString(msg, "a value"))
}

var (
	unknownField = regexp.MustCompile(`field (\S+) not found in type \S+`)
	wrongType    = regexp.MustCompile("cannot unmarshal (\\S+)( `[^`]*`)? into \\S+")
	backquoted   = regexp.MustCompile("`[^`]*`") // how yaml.v3 quotes a value
	yamlLine     = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)
)

// syntaxError puts yaml.v3's syntax error in the form of the others. Its
// messages for a tab ("found character that cannot start any token") do
// not say it is a tab, and may name the line before: both are searched.
func syntaxError(data []byte, err error) error {
	m := yamlLine.FindStringSubmatch(err.Error())
	if m == nil {
		return err
	}
	line, _ := strconv.Atoi(m[1])
	if strings.Contains(m[2], "cannot start any token") || strings.Contains(m[2], "tab character") {
		lines := strings.Split(string(data), "\n")
		for l := line; l <= line+1 && l <= len(lines); l++ {
			if col := strings.IndexByte(lines[l-1], '\t'); col >= 0 {
				return &FieldError{Line: l, Column: len([]rune(lines[l-1][:col])) + 1,
					Msg: "a tab character; YAML does not allow tabs for indentation: indent with spaces"}
			}
		}
	}
	return &FieldError{Line: line, Msg: m[2]}
}

var (
	durationType = reflect.TypeFor[model.Duration]()
	urlType      = reflect.TypeFor[promconfig.URL]()
	secretType   = reflect.TypeFor[promconfig.Secret]()
	taskType     = reflect.TypeFor[Task]()
)

// walk checks node against type t; path and line name it in errors.
func walk(node *yaml.Node, t reflect.Type, path string, line int) *FieldError {
	node = resolve(node)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case node.Kind == yaml.ScalarNode && node.Style&yaml.TaggedStyle != 0:
		// A tag the value does not fit (!!int "abc") fails whatever the field.
	case node.Kind == yaml.ScalarNode && node.Tag == "!!null":
		return nil // the zero value
	case t.Kind() == reflect.Struct && node.Kind == yaml.MappingNode:
		if fe := walkStruct(node, t, path); fe != nil {
			return fe
		}
		switch reflect.New(t).Interface().(type) {
		case yaml.Unmarshaler, interface{ UnmarshalYAML(func(any) error) error }:
			// Its own checks (one of bearer_token, bearer_token_file...), by
			// yaml.v3's interface or prometheus/common's, which yaml.v3 honours.
		default:
			return nil
		}
	case t.Kind() == reflect.Map && node.Kind == yaml.MappingNode:
		for i := 0; i+1 < len(node.Content); i += 2 {
			k := node.Content[i]
			if fe := walk(node.Content[i+1], t.Elem(), join(path, k.Value), k.Line); fe != nil {
				return fe
			}
		}
		return nil
	case t.Kind() == reflect.Slice && node.Kind == yaml.SequenceNode:
		for i, item := range node.Content {
			if fe := walk(item, t.Elem(), fmt.Sprintf("%s[%d]", path, i), item.Line); fe != nil {
				return fe
			}
		}
		return nil
	case t.Kind() == reflect.String && node.Kind == yaml.ScalarNode:
		// Any untagged scalar reads as a string (a Secret too): not decoding
		// it keeps the walk of 50,000 task IDs cheap.
		return nil
	}
	return decodeAlone(node, t, path, line)
}

// walkStruct checks the keys of a mapping against the fields of struct t.
func walkStruct(node *yaml.Node, t reflect.Type, path string) *FieldError {
	fields, rest := yamlFields(t)
	seen := make(map[string]int, len(node.Content)/2)
	for i := 0; i+1 < len(node.Content); i += 2 {
		k, v := node.Content[i], resolve(node.Content[i+1])
		if k.Tag == "!!merge" {
			// "<<: *defaults": the merged mappings' keys count as keys here.
			merged := []*yaml.Node{v}
			if v.Kind == yaml.SequenceNode {
				merged = v.Content
			}
			for _, m := range merged {
				if m = resolve(m); m.Kind == yaml.MappingNode {
					if fe := walkStruct(m, t, path); fe != nil {
						return fe
					}
				}
			}
			continue
		}
		p := join(path, k.Value)
		if first, dup := seen[k.Value]; dup {
			return &FieldError{Path: p, Line: k.Line, Msg: fmt.Sprintf("set twice (first on line %d)", first)}
		}
		seen[k.Value] = k.Line
		ft, ok := fields[k.Value]
		if !ok && rest == nil {
			return &FieldError{Path: p, Line: k.Line, Msg: unknownKey(k.Value, fields)}
		}
		if fe := walk(v, cmp.Or(ft, rest), p, k.Line); fe != nil {
			return fe
		}
	}
	return nil
}

// yamlFields maps the keys yaml.v3 accepts for struct t to their types,
// following ",inline" structs; rest is the element type of an inline map,
// which takes every other key.
func yamlFields(t reflect.Type) (fields map[string]reflect.Type, rest reflect.Type) {
	fields = map[string]reflect.Type{}
	for f := range t.Fields() {
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		switch {
		case !f.IsExported() && !f.Anonymous, name == "-":
		case !strings.Contains(","+opts+",", ",inline,"):
			fields[cmp.Or(name, strings.ToLower(f.Name))] = f.Type
		case f.Type.Kind() == reflect.Map:
			rest = f.Type.Elem()
		case f.Type.Kind() == reflect.Struct:
			inner, innerRest := yamlFields(f.Type)
			maps.Copy(fields, inner)
			rest = cmp.Or(innerRest, rest)
		}
	}
	return fields, rest
}

// tagMismatch is how yaml.v3 refuses a value its tag does not fit.
var tagMismatch = regexp.MustCompile("^yaml: (cannot decode |!!binary value)")

// decodeAlone has yaml.v3 decode node alone into a new t, and says why it
// failed under path and line, never showing a secret's value.
func decodeAlone(node *yaml.Node, t reflect.Type, path string, line int) *FieldError {
	err := node.Decode(reflect.New(t).Interface())
	if err == nil {
		return nil
	}
	fe := &FieldError{Path: path, Line: line, Msg: err.Error()}
	var typeErr *yaml.TypeError
	switch {
	case errors.As(err, &typeErr):
		// Its text names Go types.
		fe.Msg = fmt.Sprintf("want %s, got %s", want(t), describe(node, t))
		if t == taskType && node.Kind == yaml.ScalarNode {
			fe.Msg += fmt.Sprintf(`; write a task as "- id: %s"`, shorten(node.Value))
		}
	case node.Kind != yaml.ScalarNode:
		// A mapping's own checks name their keys themselves.
	case tagMismatch.MatchString(err.Error()):
		value := "the value"
		if t != secretType {
			value = strconv.Quote(shorten(node.Value))
		}
		fe.Msg = fmt.Sprintf("%s is tagged %s but does not read as one; remove the tag", value, node.Tag)
	case t == secretType:
		fe.Msg = "want a string"
	default:
		if !strings.Contains(fe.Msg, node.Value) {
			// model.Duration says "duration out of range" without the value.
			fe.Msg = fmt.Sprintf("%q: %s", shorten(node.Value), fe.Msg)
		}
		if len(fe.Msg) > 256 {
			fe.Msg = shorten(fe.Msg[:256])
		}
		if hint := durationHint(node.Value); t == durationType && hint != "" {
			fe.Msg += "; " + hint
		}
	}
	return fe
}
