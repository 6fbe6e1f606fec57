package config

import (
	"maps"
	"slices"
	"strings"
	"testing"
)

// Every region of the reference's §3 gets its API host, its IAM host and,
// for a token, an IAM project named after the task's own region, from
// `region` alone. The expected hosts are written out, not built the way
// region.go builds them.
func TestRegionTable(t *testing.T) {
	cases := []struct{ region, api, iam string }{
		{"cn-north-4", "https://codearts-check.cn-north-4.myhuaweicloud.com", "https://iam.cn-north-4.myhuaweicloud.com"},
		{"cn-north-1", "https://codearts-check.cn-north-4.myhuaweicloud.com", "https://iam.cn-north-1.myhuaweicloud.com"},
		{"cn-south-1", "https://codearts-check.cn-south-1.myhuaweicloud.com", "https://iam.cn-south-1.myhuaweicloud.com"},
		{"cn-east-2", "https://codearts-check.cn-south-1.myhuaweicloud.com", "https://iam.cn-east-2.myhuaweicloud.com"},
		{"cn-east-3", "https://codearts-check.cn-south-1.myhuaweicloud.com", "https://iam.cn-east-3.myhuaweicloud.com"},
		{"cn-southwest-2", "https://codearts-check.cn-south-1.myhuaweicloud.com", "https://iam.cn-southwest-2.myhuaweicloud.com"},
		{"la-north-2", "https://codearts-check.la-north-2.myhuaweicloud.com", "https://iam.la-north-2.myhuaweicloud.com"},
		{"sa-brazil-1", "https://codearts-check.sa-brazil-1.myhuaweicloud.com", "https://iam.sa-brazil-1.myhuaweicloud.com"},
		{"ap-southeast-3", "https://codearts-check.ap-southeast-3.myhuaweicloud.com", "https://iam.ap-southeast-3.myhuaweicloud.com"},
		{"eu-west-101", "https://check.eu-west-101.myhuaweicloud.eu", "https://iam.eu-west-101.myhuaweicloud.eu"},
	}
	if len(cases) != len(slices.Sorted(maps.Keys(regions))) {
		t.Errorf("slices.Sorted(maps.Keys(regions)) = %v: the test covers %d regions", slices.Sorted(maps.Keys(regions)), len(cases))
	}
	for _, c := range cases {
		t.Run(c.region, func(t *testing.T) {
			iam, err := parseYAML([]byte("region: " + c.region + "\nauth:\n  iam:\n    domain_name: acme\n    username: monitor\n    password: pw\ntasks:\n  - id: abc\n"))
			if err != nil {
				t.Fatal(err)
			}
			if iam.Endpoint != c.api || iam.Auth.IAM.Endpoint != c.iam || iam.Auth.IAM.ProjectName != c.region {
				t.Errorf("endpoint %q, auth.iam.endpoint %q, project_name %q; want %q, %q, %q",
					iam.Endpoint, iam.Auth.IAM.Endpoint, iam.Auth.IAM.ProjectName, c.api, c.iam, c.region)
			}
			aksk, err := parseYAML([]byte("region: " + c.region + "\nauth:\n  aksk:\n    access_key: AK1\n    secret_key: sk\ntasks:\n  - id: abc\n"))
			if err != nil {
				t.Fatal(err)
			}
			if k := aksk.Auth.AKSK; aksk.Endpoint != c.api || k.IAMEndpoint != c.iam || k.ProjectName != c.region {
				t.Errorf("aksk: endpoint %q, iam_endpoint %q, project looked up %q; want %q, %q, %q",
					aksk.Endpoint, k.IAMEndpoint, k.ProjectName, c.api, c.iam, c.region)
			}
			// The hosts in force are what /config shows.
			for _, host := range []string{c.api, c.iam} {
				if !strings.Contains(aksk.String(), host) || !strings.Contains(iam.String(), host) {
					t.Errorf("%s not shown in\n%s\n%s", host, iam, aksk)
				}
			}
		})
	}
}

// A region outside the table fails validation, naming the region and the
// known ones, with the line of the key.
func TestUnknownRegion(t *testing.T) {
	for _, region := range []string{"cn-nort-4", "eu-west-0", "cn-north-9"} {
		_, err := parseYAML([]byte("# a comment\nregion: " + region + "\nauth:\n  token_file: /nonexistent\ntasks:\n  - id: abc\n"))
		if err == nil {
			t.Fatalf("region %s accepted", region)
		}
		for _, want := range append([]string{"line 2", "region", `"` + region + `"`, "set endpoint"}, slices.Sorted(maps.Keys(regions))...) {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("region %s: error does not contain %q: %v", region, want, err)
			}
		}
	}
}

// With endpoint set, any well-formed region goes, and its IAM host follows
// the main site's pattern; an explicit IAM endpoint wins.
func TestUnknownRegionWithEndpoint(t *testing.T) {
	cfg, err := parseYAML([]byte("region: ap-southeast-9\nendpoint: https://check.example.net\nauth:\n  aksk:\n    access_key: AK1\n    secret_key: sk\ntasks:\n  - id: abc\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Endpoint != "https://check.example.net" || cfg.IAMEndpoint() != "https://iam.ap-southeast-9.myhuaweicloud.com" {
		t.Errorf("endpoint %q, IAM endpoint %q", cfg.Endpoint, cfg.IAMEndpoint())
	}
	cfg, err = parseYAML([]byte("region: ap-southeast-9\nendpoint: https://check.example.net\nauth:\n  iam:\n    domain_name: acme\n    username: monitor\n    password: pw\ntasks:\n  - id: abc\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Auth.IAM.Endpoint != "https://iam.ap-southeast-9.myhuaweicloud.com" || cfg.Auth.IAM.ProjectName != "ap-southeast-9" {
		t.Errorf("auth.iam = %+v", cfg.Auth.IAM)
	}
	cfg, err = parseYAML([]byte("region: ap-southeast-9\nendpoint: https://check.example.net\nauth:\n  aksk:\n    access_key: AK1\n    secret_key: sk\n    iam_endpoint: https://iam.example.net\ntasks:\n  - id: abc\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.IAMEndpoint() != "https://iam.example.net" {
		t.Errorf("IAM endpoint %q, want the configured one", cfg.IAMEndpoint())
	}
}

// A known region with endpoint set keeps the endpoint (the other reading of
// the international hosts) and the region's IAM.
func TestKnownRegionEndpointOverride(t *testing.T) {
	cfg, err := parseYAML([]byte("region: la-north-2\nendpoint: https://devcloud.la-north-2.myhuaweicloud.com\nauth:\n  iam:\n    domain_name: acme\n    username: monitor\n    password: pw\ntasks:\n  - id: abc\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Endpoint != "https://devcloud.la-north-2.myhuaweicloud.com" || cfg.IAMEndpoint() != "https://iam.la-north-2.myhuaweicloud.com" {
		t.Errorf("endpoint %q, IAM endpoint %q", cfg.Endpoint, cfg.IAMEndpoint())
	}
}
