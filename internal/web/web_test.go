package web

import (
	"encoding/json"
	"io/fs"
	"strings"
	"testing"

	"orders/internal/auth"
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

// TestSafeNext: the page after login is a path of this site that parses back to itself;
// anything a browser could read as another host goes to the default page (issue 12:
// "/\t/evil.example" was answered as is, and browsers drop the tab and see "//evil.example").
func TestSafeNext(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"", "/orders"},
		{"/archive?q=x", "/archive?q=x"},
		{"/ok?x=1", "/ok?x=1"},
		{"/orders/0190a3b4-7c1d-7000-8000-000000000001", "/orders/0190a3b4-7c1d-7000-8000-000000000001"},
		{"/archive?q=%D0%BF%D1%80%D0%B8%D0%BA%D0%B0%D0%B7&year=2024", "/archive?q=%D0%BF%D1%80%D0%B8%D0%BA%D0%B0%D0%B7&year=2024"},
		{"//evil.example/", "/orders"},
		{"//evil", "/orders"},
		{"/\\evil.example", "/orders"},
		{"/\\evil", "/orders"},
		{"\\/evil", "/orders"},
		{"/\t/evil.example", "/orders"},
		{"/\t/evil", "/orders"},
		{"/%09/evil", "/orders"},
		{"/%2F/evil", "/orders"},
		{"/%5C/evil", "/orders"},
		{"/\n/evil", "/orders"},
		{" /evil", "/orders"},
		{"/orders/1\r\nSet-Cookie", "/orders"},
		{"https://evil.example/", "/orders"},
		{"https:/evil.example/", "/orders"},
		{"http:evil", "/orders"},
		{"javascript:alert(1)", "/orders"},
		{"JaVaScRiPt:alert(1)", "/orders"},
		{"evil.example", "/orders"},
		{"/login?next=/login", "/orders"},
		{"/orders#frag", "/orders"},
		{"/\u00a0/evil", "/orders"},
		{"/\x7f/evil", "/orders"},
	} {
		if got := safeNext(tt.in); got != tt.want {
			t.Errorf("safeNext(%q) = %q, want %q", tt.in, got, tt.want)
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
		// Only the draft's own fields: a clause's date (a personnel order's) or a protocol's
		// number is content the clerk starts from.
		var top map[string]json.RawMessage
		if err := json.Unmarshal(p.Draft, &top); err != nil {
			t.Fatalf("%s: %v", p.ID, err)
		}
		for _, k := range []string{"letterhead", "number", "date"} {
			if _, ok := top[k]; ok {
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

// TestMenuFollowsCan: the navigation offers a page exactly when auth.Can allows its action,
// the same table the API's routes ask.
func TestMenuFollowsCan(t *testing.T) {
	for _, role := range auth.Roles {
		items := map[string]bool{}
		for _, it := range (view{Caller: auth.Caller{Role: role}}).Menu() {
			items[it.Key] = true
		}
		for key, act := range map[string]auth.Action{"new": auth.ActEditDraft, "batch": auth.ActBatch, "archive": auth.ActReadArchive} {
			if items[key] != auth.Can(role, act) {
				t.Errorf("role %s: menu item %q shown = %v, auth.Can(%s) = %v", role, key, items[key], act, auth.Can(role, act))
			}
		}
	}
}
