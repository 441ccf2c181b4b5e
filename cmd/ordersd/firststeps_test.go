package main

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestGitignoreKeepsSecrets: after the README's first command, `git add .` must not take
// the admin token, the secret key or the registry (it did).
func TestGitignoreKeepsSecrets(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git missing")
	}
	for _, p := range []string{"data/admin-token", "data/secret-key", "data/registry.db", "data/docs/x", "out/balashikha.pdf"} {
		cmd := exec.Command("git", "check-ignore", "-q", "--no-index", p)
		cmd.Dir = "../.."
		if err := cmd.Run(); err != nil {
			t.Errorf("%s is not ignored by .gitignore: %v", p, err)
		}
	}
}

// TestSubcommandAfterGlobalFlags: the flags that find the registry may come before the
// subcommand (ordersd --data X token create failed).
func TestSubcommandAfterGlobalFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		sub  string
		rest []string
	}{
		{[]string{"token", "list"}, "token", []string{"list"}},
		{[]string{"--data", "/srv/o", "token", "create", "--role", "admin"}, "token", []string{"create", "--data", "/srv/o", "--role", "admin"}},
		{[]string{"--data=/srv/o", "user", "list", "--org", "a"}, "user", []string{"list", "--data=/srv/o", "--org", "a"}},
		{[]string{"-data", "token"}, "", nil}, // a data directory named token: the service
		{[]string{"--addr", ":9090"}, "", nil},
		{[]string{"user"}, "user", nil},
	} {
		sub, rest, ok := subcommand(tc.args)
		if sub != tc.sub || !slices.Equal(rest, tc.rest) || ok != (tc.sub != "") {
			t.Errorf("%q: %q %q %v, want %q %q", tc.args, sub, rest, ok, tc.sub, tc.rest)
		}
	}
}

// TestTokenListWithoutRegistry: token list and user list in a directory without a registry
// say so instead of creating an empty one and listing nothing; token create works with
// global flags before the subcommand.
func TestTokenListWithoutRegistry(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nothing")
	for _, args := range [][]string{{"--data", dir, "token", "list"}, {"--data", dir, "user", "list"}, {"token", "revoke", "--data", dir, "--id", "0193a3b4-0000-7000-8000-000000000000"}} {
		err := run(args)
		if err == nil || !strings.Contains(err.Error(), "нет реестра") || !strings.Contains(err.Error(), dir) {
			t.Errorf("%q: %v, want «в каталоге … нет реестра»", args, err)
		}
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("the commands created %s: %v", dir, err)
	}
	if err := run([]string{"--data", dir, "token", "create", "--role", "admin"}); err != nil {
		t.Fatalf("--data before token create: %v", err)
	}
	if err := run([]string{"--data", dir, "token", "list"}); err != nil {
		t.Errorf("token list after create: %v", err)
	}
}

// TestHelpListsSubcommands: ordersd --help names the token and user subcommands besides the
// flags.
func TestHelpListsSubcommands(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := os.Stderr
	os.Stderr = w
	_, herr := loadConfig([]string{"--help"})
	os.Stderr = stderr
	w.Close()
	out, _ := io.ReadAll(r)
	for _, want := range []string{"ordersd [--data DIR] token ...", "ordersd [--data DIR] user ...", "-data", "ORDERS_DATA"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("--help lacks %q:\n%s", want, out)
		}
	}
	if exitCode(herr) != 0 {
		t.Errorf("--help exits %d", exitCode(herr))
	}
}
