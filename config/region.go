package config

import (
	"cmp"
	"maps"
	"slices"
	"strings"
)

// regionHosts are the base URLs of a region's API and of its own IAM.
type regionHosts struct{ api, iam string }

// regions is §3 of the API reference: where CodeArts Check serves a
// region's tasks, and the region's own IAM (IAM.validate says why). For
// la-north-2, sa-brazil-1 and ap-southeast-3 it follows the SDK
// (codearts-check.{region}), which every SDK-based client sends, over the
// endpoint page (devcloud.{region}): docs/configuration.md shows how to set
// endpoint for the other reading.
var regions = map[string]regionHosts{
	"cn-north-4":     comHosts("cn-north-4", "cn-north-4"),
	"cn-north-1":     comHosts("cn-north-1", "cn-north-4"),
	"cn-south-1":     comHosts("cn-south-1", "cn-south-1"),
	"cn-east-2":      comHosts("cn-east-2", "cn-south-1"),
	"cn-east-3":      comHosts("cn-east-3", "cn-south-1"),
	"cn-southwest-2": comHosts("cn-southwest-2", "cn-south-1"),
	"la-north-2":     comHosts("la-north-2", "la-north-2"),
	"sa-brazil-1":    comHosts("sa-brazil-1", "sa-brazil-1"),
	"ap-southeast-3": comHosts("ap-southeast-3", "ap-southeast-3"),
	// The EU site is a separate cloud under its own domain and host name.
	"eu-west-101": {api: "https://check.eu-west-101.myhuaweicloud.eu", iam: "https://iam.eu-west-101.myhuaweicloud.eu"},
}

// comHosts are region's hosts on the main site, its API served by
// apiRegion's; also the IAM of a region the table does not know.
func comHosts(region, apiRegion string) regionHosts {
	return regionHosts{
		api: "https://codearts-check." + apiRegion + ".myhuaweicloud.com",
		iam: "https://iam." + region + ".myhuaweicloud.com",
	}
}

// applyRegion fills in endpoint from the region table, and returns the IAM
// endpoint the region's credentials default to ("" without a region). A
// region outside the table needs endpoint: a misspelt one would otherwise
// fail at every scrape as a network error.
func (c *Config) applyRegion() (iamEndpoint string, err error) {
	hosts, known := regions[c.Region]
	switch {
	case c.Region == "" && c.Endpoint == "":
		return "", fieldErr("region", "set region, or endpoint and the auth endpoint")
	case c.Region == "":
		return "", nil
	case !regionPattern.MatchString(c.Region):
		return "", fieldErr("region", "%q is not a region name like cn-north-4", c.Region)
	case !known && c.Endpoint == "":
		return "", fieldErr("region", "%q is not a region where CodeArts Check is known to be offered (known: %s); "+
			"check the spelling, or set endpoint to use it anyway",
			c.Region, strings.Join(slices.Sorted(maps.Keys(regions)), ", "))
	case !known:
		return comHosts(c.Region, "").iam, nil
	}
	c.Endpoint = cmp.Or(c.Endpoint, hosts.api)
	return hosts.iam, nil
}

// IAMEndpoint returns the IAM endpoint in force: the one IAM tokens are
// requested from, or the one the AK/SK project is looked up on; "" when
// the configuration uses neither (a token file, AK/SK with project_id).
func (c *Config) IAMEndpoint() string {
	switch {
	case c.Auth.IAM != nil:
		return c.Auth.IAM.Endpoint
	case c.Auth.AKSK != nil:
		return c.Auth.AKSK.IAMEndpoint
	}
	return ""
}
