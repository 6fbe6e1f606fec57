// Package clientcache builds and caches the exporter's API clients. A client
// is what a configuration's auth, http_client_config, endpoint and
// language make: the HTTP client, the api.Caller (request metrics and the
// process-wide rate limit), the authenticator and the CodeArts Check
// client built on them. The configuration itself lives in
// config.SafeConfig; discovery and the collector each take the
// configuration in force there and ask Cache.For for its client, so
// that listing and scrapes share one IAM token (one back-off, one AK/SK
// lock-out guard), one connection pool per credentials and one rate limit per process,
// and are counted together.
//
// Cache keeps the client of the credentials last asked for. While auth
// and http_client_config stay the same, reloads keep its authenticator,
// and with it a cached IAM token or looked-up AK/SK project; other
// credentials build a new one and close the old, which lets go of its
// idle connections.
package clientcache
