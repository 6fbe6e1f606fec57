package config

import (
	"strings"
	"testing"
)

func TestLanguage(t *testing.T) {
	const head = "region: cn-north-4\nauth:\n  iam:\n    domain_name: acme\n    username: monitor\n    password: s3cr3t\ntasks:\n  - id: a1\n"
	for yaml, want := range map[string]string{
		head:                       LanguageEnglish,
		head + "language: en-us\n": LanguageEnglish,
		head + "language: zh-cn\n": LanguageChinese,
	} {
		cfg, err := parseYAML([]byte(yaml))
		if err != nil {
			t.Fatalf("%q: %v", yaml, err)
		}
		if cfg.Language != want {
			t.Errorf("%q: language %q, want %q", yaml, cfg.Language, want)
		}
	}
	for value, want := range map[string]string{
		"fr-fr": `line 9: language: "fr-fr": want en-us or zh-cn`,
		"EN-US": `line 9: language: "EN-US": want en-us or zh-cn`,
		`""`:    ``, // empty is the default
		"[en]":  "line 9: language: want a string, got a list",
	} {
		_, err := parseYAML([]byte(head + "language: " + value + "\n"))
		switch {
		case want == "" && err != nil:
			t.Errorf("language %s: %v, want the default", value, err)
		case want != "" && (err == nil || err.Error() != want):
			t.Errorf("language %s: error %v, want %s", value, err, want)
		}
		if err != nil && strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("error shows the password: %v", err)
		}
	}
}
