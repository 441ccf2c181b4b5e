package web

import (
	"io/fs"
	"strings"
	"testing"
)

// The pages themselves are tested in a browser by cmd/ordersd/web_test.go; these are the
// pieces that need no service.

func TestTemplatesParse(t *testing.T) {
	s := New(Config{})
	for _, p := range []string{"login", "orders", "order", "editor", "archive", "batch", "error"} {
		if s.pages[p] == nil {
			t.Errorf("no page %q", p)
		}
	}
	if len(s.version) != 12 {
		t.Errorf("asset version %q", s.version)
	}
}

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"":                        "/orders",
		"/archive?q=x":            "/archive?q=x",
		"//evil.example/":         "/orders",
		"/\\evil.example":         "/orders",
		"https://evil.example/":   "/orders",
		"/login?next=/login":      "/orders",
		"/orders/1\r\nSet-Cookie": "/orders",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestNoInlineScript: the Content-Security-Policy allows scripts only from files, so no
// template may carry an inline script or an on… handler attribute.
func TestNoInlineScript(t *testing.T) {
	names, _ := fs.Glob(templateFS, "templates/*.html")
	for _, n := range names {
		data, _ := fs.ReadFile(templateFS, n)
		text := string(data)
		for _, bad := range []string{"<script>", " onclick=", " onload=", " onchange=", " onsubmit=", "javascript:", "<style"} {
			if strings.Contains(text, bad) {
				t.Errorf("%s contains %q, which the CSP blocks", n, bad)
			}
		}
	}
}

func TestStartingPoints(t *testing.T) {
	sp := startingPoints()
	ids := map[string]bool{}
	for _, p := range sp {
		ids[p.ID] = true
		for _, k := range []string{`"letterhead"`, `"number"`, `"date"`} {
			if strings.Contains(string(p.Draft), k+":") {
				t.Errorf("%s keeps %s: a new order gets its own", p.ID, k)
			}
		}
	}
	for _, want := range []string{"platforms-yearly", "balashikha", "chebula"} {
		if !ids[want] {
			t.Errorf("no starting point %q in %v", want, ids)
		}
	}
}
