package config

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"

	promconfig "github.com/prometheus/common/config"
	"github.com/prometheus/common/model"
	"go.yaml.in/yaml/v2"
	yamlv3 "go.yaml.in/yaml/v3"
)

// explain finds why yaml.v2 refused the document and says it in the file's
// terms: the key path (auth.iam.username, tasks[3].id) and line, never a Go
// type. yaml.v2 decodes the file (prometheus/common's types are written for
// it) but its messages name Go types and, for errors of custom unmarshalers
// such as durations, no line. So the document is walked as a yaml.v3 node
// tree beside the Go type it decodes into: unknown or repeated keys and
// nodes of the wrong kind are found on the walk; each scalar that needs
// more than a string, and each mapping whose type checks itself (like
// http_client_config), is decoded alone by yaml.v2 so the verdict is
// yaml.v2's own. Only a refused file is walked. It returns nil if the walk
// finds nothing, and the caller falls back to yaml.v2's message.
func explain(data []byte, into any) error {
	var doc yamlv3.Node
	if err := yamlv3.Unmarshal(data, &doc); err != nil {
		// yaml.v2 read what yaml.v3 finds malformed: yaml.v3's syntax
		// error is the clearer one.
		return err
	}
	if len(doc.Content) == 0 {
		return nil
	}
	root := doc.Content[0]
	if root.Kind != yamlv3.MappingNode {
		return &FieldError{Line: root.Line, Msg: "the file must be a mapping of keys (region, auth, tasks, ...), got " + describe(root, nil)}
	}
	return walk(root, reflect.TypeOf(into), "", root.Line)
}

// goTypes matches the parts of yaml.v2's messages that name Go types.
var goTypes = regexp.MustCompile("cannot unmarshal (\\S+)( `[^`]*`)? into \\S+|field (\\S+) not found in type \\S+")

// withoutGoTypes is the last resort, for an error explain could not place:
// yaml.v2's message with the Go types taken out.
func withoutGoTypes(err error) error {
	msg := goTypes.ReplaceAllStringFunc(err.Error(), func(m string) string {
		sub := goTypes.FindStringSubmatch(m)
		if sub[3] != "" {
			return "unknown key " + sub[3]
		}
		return "a value of the wrong type (" + sub[1] + sub[2] + ")"
	})
	return errors.New(msg)
}

// secondDocument reports the start of the document after the first one.
func secondDocument(data []byte) error {
	dec := yamlv3.NewDecoder(bytes.NewReader(data))
	var first, second yamlv3.Node
	if dec.Decode(&first) == nil && dec.Decode(&second) == nil && second.Line > 0 {
		return &FieldError{Line: second.Line, Msg: "a second YAML document starts here: the file must hold one document"}
	}
	return errors.New("the file holds more than one YAML document: it must hold one")
}

var (
	v2Unmarshaler = reflect.TypeOf((*yaml.Unmarshaler)(nil)).Elem()
	durationType  = reflect.TypeOf(model.Duration(0))
	urlType       = reflect.TypeOf(promconfig.URL{})
	secretType    = reflect.TypeOf(promconfig.Secret(""))
)

// walk checks node against type t; path and line name it in errors.
func walk(node *yamlv3.Node, t reflect.Type, path string, line int) error {
	if node.Kind == yamlv3.AliasNode && node.Alias != nil {
		node = node.Alias
	}
	if node.Kind == yamlv3.ScalarNode && node.Tag == "!!null" {
		return nil // yaml.v2 leaves the zero value
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t.Kind() == reflect.Struct && node.Kind == yamlv3.MappingNode:
		if err := walkStruct(node, t, path); err != nil {
			return err
		}
		if reflect.PointerTo(t).Implements(v2Unmarshaler) {
			// The type's own checks (one of bearer_token, bearer_token_file...).
			return decodeAlone(node, t, path, line)
		}
		return nil
	case t.Kind() == reflect.Map && node.Kind == yamlv3.MappingNode:
		for i := 0; i+1 < len(node.Content); i += 2 {
			k := node.Content[i]
			if err := walk(node.Content[i+1], t.Elem(), join(path, k.Value), k.Line); err != nil {
				return err
			}
		}
		return nil
	case t.Kind() == reflect.Slice && node.Kind == yamlv3.SequenceNode:
		for i, item := range node.Content {
			if err := walk(item, t.Elem(), fmt.Sprintf("%s[%d]", path, i), item.Line); err != nil {
				return err
			}
		}
		return nil
	case t.Kind() == reflect.String && !reflect.PointerTo(t).Implements(v2Unmarshaler):
		// Any scalar reads as a string; checking the kind is enough and
		// keeps the walk of 50,000 task IDs cheap.
		if node.Kind != yamlv3.ScalarNode {
			return &FieldError{Path: path, Line: line, Msg: fmt.Sprintf("want a string, got %s", describe(node, t))}
		}
		return nil
	}
	return decodeAlone(node, t, path, line)
}

// walkStruct checks the keys of a mapping against the fields of struct t.
func walkStruct(node *yamlv3.Node, t reflect.Type, path string) error {
	fields, rest := yamlFields(t)
	seen := make(map[string]int, len(node.Content)/2)
	for i := 0; i+1 < len(node.Content); i += 2 {
		k, v := node.Content[i], node.Content[i+1]
		if k.Value == "<<" && k.Tag == "!!merge" {
			// The keys of the merged mappings count as keys here.
			if err := walkMerge(v, t, path); err != nil {
				return err
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
		if !ok {
			ft = rest
		}
		if err := walk(v, ft, p, k.Line); err != nil {
			return err
		}
	}
	return nil
}

// walkMerge checks what a merge key ("<<: *defaults") brings into a
// mapping of struct t: a mapping, or a list of them.
func walkMerge(v *yamlv3.Node, t reflect.Type, path string) error {
	if v.Kind == yamlv3.AliasNode && v.Alias != nil {
		v = v.Alias
	}
	switch v.Kind {
	case yamlv3.MappingNode:
		return walkStruct(v, t, path)
	case yamlv3.SequenceNode:
		for _, m := range v.Content {
			if err := walkMerge(m, t, path); err != nil {
				return err
			}
		}
	}
	return nil
}

// yamlFields maps the keys yaml.v2 accepts for struct t to their types,
// following ",inline" structs; rest is the element type of an inline map,
// which takes every other key.
func yamlFields(t reflect.Type) (fields map[string]reflect.Type, rest reflect.Type) {
	fields = map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.PkgPath != "" && !f.Anonymous {
			continue // unexported
		}
		tag := f.Tag.Get("yaml")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if strings.Contains(","+opts+",", ",inline,") {
			switch f.Type.Kind() {
			case reflect.Struct:
				inner, innerRest := yamlFields(f.Type)
				for k, v := range inner {
					fields[k] = v
				}
				if innerRest != nil {
					rest = innerRest
				}
			case reflect.Map:
				rest = f.Type.Elem()
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		fields[name] = f.Type
	}
	return fields, rest
}

// decodeAlone has yaml.v2 decode node by itself into a new t and reports
// its error under path and line.
func decodeAlone(node *yamlv3.Node, t reflect.Type, path string, line int) error {
	text, err := yamlv3.Marshal(node)
	if err != nil {
		return nil
	}
	err = yaml.UnmarshalStrict(text, reflect.New(t).Interface())
	if err == nil {
		return nil
	}
	fe := &FieldError{Path: path, Line: line}
	if _, typeErr := err.(*yaml.TypeError); typeErr || node.Kind != yamlv3.ScalarNode {
		// A type error's text names Go types and lines of the snippet;
		// a mapping's checks name their keys themselves.
		if typeErr {
			fe.Msg = fmt.Sprintf("want %s, got %s", want(t), describe(node, t))
		} else {
			fe.Msg = err.Error()
		}
		return fe
	}
	msg := err.Error()
	if t != secretType && !strings.Contains(msg, node.Value) {
		// model.Duration says "duration out of range" without the value.
		msg = fmt.Sprintf("%q: %s", shorten(node.Value), msg)
	}
	if len(msg) > 256 {
		msg = shorten(msg[:256])
	}
	fe.Msg = msg
	return fe
}

// want says in the file's terms what a value of type t looks like.
func want(t reflect.Type) string {
	switch t {
	case durationType:
		return "a duration like 30s or 5m"
	case urlType:
		return "a URL"
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Map, reflect.Struct:
		return "a mapping"
	}
	return "a string"
}

// describe names what the file has where t was expected. A scalar is
// quoted, unless t holds secrets.
func describe(node *yamlv3.Node, t reflect.Type) string {
	switch node.Kind {
	case yamlv3.MappingNode:
		return "a mapping"
	case yamlv3.SequenceNode:
		return "a list"
	}
	if t == secretType {
		return "a value of another kind"
	}
	return fmt.Sprintf("%q", shorten(node.Value))
}

// unknownKey says a key is not known, and which known key it is likely a
// misspelling of.
func unknownKey(key string, fields map[string]reflect.Type) string {
	best, bestDist := "", 3 // suggest only within two edits
	for name := range fields {
		if d := editDistance(key, name); d < bestDist || (d == bestDist && name < best) {
			best, bestDist = name, d
		}
	}
	if best == "" {
		return "unknown key"
	}
	return "unknown key (did you mean " + best + "?)"
}

// editDistance is the Levenshtein distance between two short keys.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func join(path, key string) string {
	key = shorten(key)
	if path == "" {
		return key
	}
	return path + "." + key
}

// shorten cuts what the file has to a length fit for an error message.
func shorten(s string) string {
	const max = 64
	if len(s) <= max {
		return s
	}
	return strings.ToValidUTF8(s[:max], "") + "..."
}
