package api_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/codearts-check-exporter/codearts_check_exporter/internal/api"
)

// An answer that ends before the length its Content-Length claims is a
// failed call, never a success with the bytes that came: its small
// Content-Length sizes the buffer it is read into, and the bytes missing
// must not pass as zeros or as a shorter answer.
func TestAnswerShorterThanItsLengthFails(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		_, _ = buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"task_status\":2}")
		_ = buf.Flush()
		_ = conn.Close()
	}))
	defer srv.Close()
	req, err := http.NewRequest(http.MethodGet, srv.URL+"/v2/tasks/t/progress", nil)
	if err != nil {
		t.Fatal(err)
	}
	decoded := false
	err = (&api.Caller{Client: srv.Client()}).Do(req, "progress", func(*api.Response) error { decoded = true; return nil })
	if err == nil || decoded || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("Do = %v, decoded %v; want a failed call wrapping io.ErrUnexpectedEOF, nothing decoded", err, decoded)
	}
	if code := api.Code(err); code != api.CodeNetwork {
		t.Errorf("code %q, want %q", code, api.CodeNetwork)
	}
}
