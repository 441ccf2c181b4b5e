package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"orders/internal/auth"
)

// TestTokenCommands: a token made by `token create` works, `token list` shows it by id,
// and after `token revoke` a running server refuses it within the token cache's TTL.
func TestTokenCommands(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	s, admin := startService(t, cfg)
	clerk := &client{t: t, base: "http://" + s.Addr(), token: setupOrg(t, admin, cfg, "balashikha")}
	clerk.json("GET", "/api/v1/orders", nil, http.StatusOK, nil)
	// A name with a tab and a newline stays on its line of the list.
	if err := tokenCmd([]string{"create", "--data", cfg.DataDir, "--role", "admin", "--name", "ops\tteam\nnight"}, io.Discard); err != nil {
		t.Fatal(err)
	}

	run := func(args ...string) (string, error) {
		var out strings.Builder
		err := tokenCmd(append(args, "--data", cfg.DataDir), &out)
		return out.String(), err
	}
	out, err := run("list", "--org", "balashikha")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], "\tclerk\tbalashikha\t") {
		t.Fatalf("token list --org balashikha:\n%s", out)
	}
	id, _, _ := strings.Cut(lines[0], "\t")
	if all, err := run("list"); err != nil || !strings.Contains(all, "\tadmin\t") || !strings.Contains(all, id) ||
		!strings.Contains(all, "\tops team night\t") {
		t.Fatalf("token list: %v\n%s", err, all)
	}

	if out, err := run("revoke", "--id", id); err != nil || !strings.Contains(out, "revoked") {
		t.Fatalf("token revoke: %v %q", err, out)
	}
	deadline := time.Now().Add(auth.TokenCacheTTL + time.Second)
	for {
		code, _, _ := clerk.do("GET", "/api/v1/orders", "", nil)
		if code == http.StatusUnauthorized {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("revoked token still answered %d after %v", code, auth.TokenCacheTTL+time.Second)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if out, err := run("list", "--org", "balashikha"); err != nil || out != "" {
		t.Fatalf("after revoke: %v %q", err, out)
	}

	for _, bad := range []struct {
		args []string
		want string
	}{
		{[]string{"revoke", "--id", id}, "no token"},
		{[]string{"revoke", "--id", "nope"}, "not a token id"},
		{[]string{"create", "--role", "boss", "--org", "balashikha"}, "--role"},
		{[]string{"create", "--role", "clerk"}, "--org is required"},
		{[]string{"create", "--role", "clerk", "--org", "nowhere"}, "nowhere"},
		{[]string{"rotate"}, "usage"},
	} {
		if _, err := run(bad.args...); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("token %v: error %v, want one with %q", bad.args, err, bad.want)
		}
	}
}
