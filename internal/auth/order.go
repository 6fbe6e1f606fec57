package auth

import "net/http"

// sendOrder numbers the requests an authenticator lets go, and the
// acceptances it hears of, on one scale. A refusal of credentials that
// were accepted on another request after the refused one was sent cannot be
// about the credentials: they worked after it. Such a refusal is the task's
// own (its permissions, or a service that answers 401 for it), and must not
// cost the other tasks a token renewal or a pause.
//
// Every request Authorize numbers must be passed to Done (codearts.Client
// does so), which forgets it. A sendOrder is guarded by its owner's mutex.
type sendOrder struct {
	last uint64
	sent map[*http.Request]uint64
}

// send numbers req.
func (o *sendOrder) send(req *http.Request) {
	if o.sent == nil {
		o.sent = map[*http.Request]uint64{}
	}
	o.last++
	o.sent[req] = o.last
}

// done forgets req and returns its number. A request never numbered counts
// as sent now, so that nothing heard before is taken as coming after it.
func (o *sendOrder) done(req *http.Request) uint64 {
	n, ok := o.sent[req]
	if !ok {
		return o.last
	}
	delete(o.sent, req)
	return n
}

// event returns the number of something heard now, such as an acceptance.
func (o *sendOrder) event() uint64 {
	o.last++
	return o.last
}
