package api

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
)

// TestRecoverCutsStartedBodies: a handler that panics after its body has started (an export
// or batch ZIP whose document cannot be read) must leave the client a cut stream, never a
// partial archive followed by a problem document that looks like a complete answer. A panic
// before anything is written is still a 500 problem.
func TestRecoverCutsStartedBodies(t *testing.T) {
	const partial = "PK\x03\x04 partial archive"
	for _, tc := range []struct {
		name    string
		written bool // whether the handler writes part of a body before panicking
		value   any
	}{
		{"abort after body", true, http.ErrAbortHandler},
		{"other panic after body", true, "boom"},
		{"abort before body", false, http.ErrAbortHandler},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := New(Config{
				Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
				Extra: func(e *gin.Engine) {
					e.GET("/test/panic", func(c *gin.Context) {
						if tc.written {
							c.Header("Content-Type", "application/zip")
							c.Status(http.StatusOK)
							_, _ = c.Writer.WriteString(partial)
							c.Writer.Flush()
						}
						panic(tc.value)
					})
				},
			})
			srv := httptest.NewServer(s.Handler())
			defer srv.Close()
			resp, err := http.Get(srv.URL + "/test/panic")
			if !tc.written && tc.value == http.ErrAbortHandler {
				// Nothing was sent: the connection is simply dropped.
				if err == nil {
					body, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					t.Fatalf("got %d %q, want the connection cut", resp.StatusCode, body)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			if !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Errorf("reading the body: err %v, want unexpected EOF", err)
			}
			if string(body) != partial || strings.Contains(string(body), "problem") {
				t.Errorf("body %q, want exactly the partial bytes %q", body, partial)
			}
		})
	}
}

// TestRecoverAnswersProblem: a panic before the answer has started is a 500 problem+json that
// names no internals.
func TestRecoverAnswersProblem(t *testing.T) {
	s := New(Config{
		Log:   slog.New(slog.NewTextHandler(io.Discard, nil)),
		Extra: func(e *gin.Engine) { e.GET("/test/panic", func(*gin.Context) { panic("secret detail") }) },
	})
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/test/panic", nil))
	if rec.Code != http.StatusInternalServerError || rec.Header().Get("Content-Type") != problemType ||
		strings.Contains(rec.Body.String(), "secret detail") {
		t.Errorf("got %d %s %s", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
	}
}
