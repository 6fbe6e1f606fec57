package config

import (
	"reflect"
	"sort"
	"strings"
	"sync"
)

// maxPlaces bounds the places a misplaced key's hint names.
const maxPlaces = 3

// keyPlaces maps every key of the file's schema to where it is valid: ""
// for the top level, "auth.iam", "tasks[]" for the items of tasks. A key
// unknown where it is but valid elsewhere is most likely indented under the
// wrong parent.
var keyPlaces = sync.OnceValue(func() map[string][]string {
	places := map[string][]string{}
	var index func(t reflect.Type, at string, depth int)
	index = func(t reflect.Type, at string, depth int) {
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || !yamlTagged(t) || depth > 5 {
			return
		}
		fields, _ := yamlFields(t)
		for name, ft := range fields {
			places[name] = append(places[name], at)
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			switch ft.Kind() {
			case reflect.Struct:
				index(ft, join(at, name), depth+1)
			case reflect.Slice:
				index(ft.Elem(), join(at, name)+"[]", depth+1)
			}
		}
	}
	index(reflect.TypeOf(Config{}), "", 0)
	return places
})

// yamlTagged tells the structs the file writes as mappings from those
// written as a scalar (a URL, which wraps net/url's): only the first tag
// their fields for YAML.
func yamlTagged(t reflect.Type) bool {
	for i := 0; i < t.NumField(); i++ {
		if _, ok := t.Field(i).Tag.Lookup("yaml"); ok {
			return true
		}
	}
	return false
}

// misplaced says where key, unknown where it is, belongs instead; "" when
// it is a key nowhere. The exporter's own places come before
// http_client_config's (whose username and password are not the IAM
// user's), and the shallowest first.
func misplaced(key string) string {
	places := keyPlaces()[key]
	if len(places) == 0 {
		return ""
	}
	var own []string
	for _, p := range places {
		if p != "http_client_config" && !strings.HasPrefix(p, "http_client_config.") {
			own = append(own, p)
		}
	}
	if len(own) > 0 {
		places = own
	}
	places = append([]string(nil), places...)
	sort.Slice(places, func(i, j int) bool {
		di, dj := strings.Count(places[i], "."), strings.Count(places[j], ".")
		if di != dj {
			return di < dj
		}
		return places[i] < places[j]
	})
	if len(places) > maxPlaces {
		places = places[:maxPlaces]
	}
	said := make([]string, len(places))
	for i, p := range places {
		switch {
		case p == "":
			said[i] = "at the top level"
		case strings.HasSuffix(p, "[]"):
			said[i] = "in each item of " + strings.TrimSuffix(p, "[]")
		default:
			said[i] = "under " + p
		}
	}
	list := said[0]
	if n := len(said); n > 1 {
		list = strings.Join(said[:n-1], ", ") + " or " + said[n-1]
	}
	return key + " belongs " + list + ": check its indentation"
}
