package archtest

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// README's package table names every package a reader meets first — each command and each
// package directly under internal/ — and nothing that is not in the tree.
func TestReadmePackageTable(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("(?m)^\\| `((?:cmd|internal)/[a-z0-9/_]+)` \\|")
	listed := map[string]bool{}
	for _, m := range row.FindAllStringSubmatch(string(readme), -1) {
		listed[m[1]] = true
	}
	graph := moduleGraph(t)
	var missing, stale []string
	for pkg := range graph {
		parts := strings.Split(pkg, "/")
		if len(parts) == 2 && (parts[0] == "cmd" || parts[0] == "internal") && !listed[pkg] && pkg != "internal/archtest" {
			missing = append(missing, pkg)
		}
	}
	for pkg := range listed {
		if _, ok := graph[pkg]; !ok {
			stale = append(stale, pkg)
		}
	}
	slices.Sort(missing)
	slices.Sort(stale)
	if len(missing) > 0 {
		t.Errorf("README's package table lacks %s", strings.Join(missing, ", "))
	}
	if len(stale) > 0 {
		t.Errorf("README's package table lists %s, which are not in the tree", strings.Join(stale, ", "))
	}
}
