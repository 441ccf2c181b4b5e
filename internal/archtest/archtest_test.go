package archtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const module = "orders"

// layers ranks the module's packages from the bottom (0) up. A package may import packages
// of lower layers and of its own layer; on an isolated layer only inside its own tree, so
// the entry points (api, web, worker) and the commands never import each other. A
// sub-package not listed has the layer of its nearest listed parent; a new top-level package
// must be placed here, so that its place is a decision, not an accident.
var layers = map[string]int{
	// Leaves: no package of the module below them.
	"fonts": 0, "templates": 0, "internal/ru": 0, "internal/strictjson": 0, "internal/csvsafe": 0,
	"internal/natsd": 0, "internal/sign/signtest": 0, "internal/decline": 0, "internal/hyph": 0,
	// The model: drafts, the registry's records and interface, the document store's interface.
	"internal/order": 1, "internal/registry": 1, "internal/blob": 1,
	// What works on the model: layout, rows of a batch, signatures, the queue, the audit
	// chain, authentication, what an order prints, the registry drivers and the stores.
	"internal/layout": 2, "internal/batch": 2, "internal/sign": 2, "internal/queue": 2, "internal/audit": 2,
	"internal/auth": 2, "internal/printed": 2, "internal/refusal": 2, "internal/control": 2, "internal/registry/internal": 2, "internal/registry/sqlite": 2,
	"internal/registry/postgres": 2, "internal/registry/registrytest": 2, "internal/blob/fsstore": 2,
	"internal/blob/natsstore": 2, "internal/blob/blobtest": 2,
	// Renderers.
	"internal/render": 3,
	// Services: the work of a request or a job, without HTTP (Word templates filled with a
	// batch's values among them).
	"internal/signing": 4, "internal/lifecycle": 4, "internal/issue": 4, "internal/orgtemplate": 4, "internal/approval": 4,
	"internal/records": 4, "internal/check": 4, "internal/docxtmpl": 4,
	// Entry points run by the commands: the HTTP API, the pages, the render worker.
	"internal/api": 5, "internal/web": 5, "internal/worker": 5,
	// Tests of the whole.
	"internal/archtest": 6,
	// Commands.
	"cmd": 7,
}

// isolated are the layers whose trees do not import each other.
var isolated = map[int]bool{5: true, 7: true}

// layerOf finds the layer of a package path relative to the module, and its tree: the
// first two elements of the path (internal/registry for its drivers too).
func layerOf(pkg string) (layer int, tree string, ok bool) {
	parts := strings.SplitN(pkg, "/", 3)
	tree = strings.Join(parts[:min(2, len(parts))], "/")
	for p := pkg; p != "." && p != ""; p = filepath.Dir(p) {
		if l, ok := layers[p]; ok {
			return l, tree, true
		}
	}
	return 0, "", false
}

// violations checks a graph (package → its imports, paths relative to the module) against
// the layers and returns one sentence per wrong edge.
func violations(graph map[string][]string) []string {
	var out []string
	for pkg, imports := range graph {
		from, fromRoot, ok := layerOf(pkg)
		if !ok {
			out = append(out, fmt.Sprintf("%s: no layer: place it in archtest's layers", pkg))
			continue
		}
		for _, imp := range imports {
			to, toRoot, ok := layerOf(imp)
			switch {
			case !ok:
				continue // reported as a package of its own
			case to > from:
				out = append(out, fmt.Sprintf("%s (layer %d) imports %s (layer %d): an upward import", pkg, from, imp, to))
			case to == from && fromRoot != toRoot && isolated[from]:
				out = append(out, fmt.Sprintf("%s imports %s: siblings of layer %d do not import each other", pkg, imp, from))
			}
		}
	}
	slices.Sort(out)
	return out
}

// moduleGraph is the import graph of the module's non-test code, from go list.
func moduleGraph(t *testing.T) map[string][]string {
	t.Helper()
	cmd := exec.Command("go", "list", "-json=ImportPath,Imports", module+"/...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	graph := map[string][]string{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p struct {
			ImportPath string
			Imports    []string
		}
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("go list output: %v", err)
		}
		pkg := strings.TrimPrefix(p.ImportPath, module+"/")
		graph[pkg] = nil
		for _, imp := range p.Imports {
			if rel, ok := strings.CutPrefix(imp, module+"/"); ok {
				graph[pkg] = append(graph[pkg], rel)
			}
		}
	}
	if len(graph) < 10 {
		t.Fatalf("go list found %d packages of %s: not the module", len(graph), module)
	}
	return graph
}

// TestImportsPointDown fails on any upward import of the module's code, e.g. the API
// importing the worker or any package but a command importing the API or the pages.
func TestImportsPointDown(t *testing.T) {
	for _, v := range violations(moduleGraph(t)) {
		t.Error(v)
	}
}

// TestCheckerCatchesBadEdges runs the checker over a synthetic graph: each forbidden kind of
// edge is reported, and a clean graph passes.
func TestCheckerCatchesBadEdges(t *testing.T) {
	clean := map[string][]string{
		"cmd/ordersd":              {"internal/api", "internal/web", "internal/worker", "internal/registry/sqlite"},
		"internal/api":             {"internal/signing", "internal/lifecycle", "internal/auth", "internal/registry"},
		"internal/lifecycle":       {"internal/queue", "internal/registry", "internal/layout"},
		"internal/signing":         {"internal/sign", "internal/render", "internal/printed", "internal/blob"},
		"internal/render":          {"internal/render/pdf", "internal/layout"},
		"internal/render/pdf":      {"internal/layout"},
		"internal/registry/sqlite": {"internal/registry", "internal/registry/internal/driver"},
	}
	if v := violations(clean); len(v) != 0 {
		t.Fatalf("a clean graph is refused: %v", v)
	}
	for _, tc := range []struct {
		name, from, to, want string
	}{
		{"api imports worker", "internal/api", "internal/worker", "siblings of layer 5"},
		{"web imports api", "internal/web", "internal/api", "siblings of layer 5"},
		{"a command imports another", "cmd/ordersd", "cmd/orderctl", "siblings of layer 7"},
		{"a service imports api", "internal/signing", "internal/api", "upward import"},
		{"the registry imports the api", "internal/registry", "internal/api", "upward import"},
		{"a driver imports the worker", "internal/registry/sqlite", "internal/worker", "upward import"},
		{"a renderer imports a service", "internal/render/pdf", "internal/signing", "upward import"},
		{"a leaf imports the model", "internal/ru", "internal/order", "upward import"},
		{"an unplaced package", "internal/newthing", "internal/ru", "no layer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := map[string][]string{}
			for k, v := range clean {
				g[k] = slices.Clone(v)
			}
			g[tc.from] = append(g[tc.from], tc.to)
			v := violations(g)
			if len(v) != 1 || !strings.Contains(v[0], tc.want) {
				t.Fatalf("%s → %s: got %q, want one violation saying %q", tc.from, tc.to, v, tc.want)
			}
		})
	}
}
