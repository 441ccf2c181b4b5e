package api

import (
	"encoding/json"
	"mime"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"orders/internal/registry"
)

// TestOpenAPIMatchesRoutes keeps openapi.json true to the router in both directions.
// TestOpenAPIComplete: every operation has a unique operationId, every 2xx answer with a
// body says its schema, every 4xx and 5xx is problem+json, and an OpenAPI validator (npm
// @apidevtools/swagger-cli, installed by .ci/run under /opt/web-judges) accepts the document.
func TestOpenAPIComplete(t *testing.T) {
	var spec struct {
		Paths map[string]map[string]struct {
			OperationID string `json:"operationId"`
			Responses   map[string]struct {
				Content map[string]struct {
					Schema map[string]any `json:"schema"`
				} `json:"content"`
			} `json:"responses"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(openAPISpec, &spec); err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{}
	for path, ops := range spec.Paths {
		for method, op := range ops {
			at := strings.ToUpper(method) + " " + path
			if op.OperationID == "" {
				t.Errorf("%s: no operationId", at)
			} else if other, dup := ids[op.OperationID]; dup {
				t.Errorf("%s: operationId %s is %s's too", at, op.OperationID, other)
			}
			ids[op.OperationID] = at
			for code, r := range op.Responses {
				switch {
				case code == "204" || code == "304":
				case code[0] == '2' && len(r.Content) == 0:
					t.Errorf("%s %s: no schema of the answer", at, code)
				case code[0] == '4' || code[0] == '5' && path != "/readyz":
					if _, ok := r.Content["application/problem+json"]; !ok {
						t.Errorf("%s %s: not problem+json", at, code)
					}
				}
				for ct, c := range r.Content {
					if len(c.Schema) == 0 {
						t.Errorf("%s %s %s: empty schema", at, code, ct)
					}
				}
			}
		}
	}
	validator := os.Getenv("ORDERS_OPENAPI_VALIDATOR")
	if validator == "" {
		validator = "/opt/web-judges/node_modules/.bin/swagger-cli"
	}
	if _, err := os.Stat(validator); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("OpenAPI validator missing (%s): .ci/run installs it", validator)
		}
		t.Skipf("OpenAPI validator missing (%s): npm install --prefix /opt/web-judges @apidevtools/swagger-cli", validator)
	}
	file := filepath.Join(t.TempDir(), "openapi.json")
	if err := os.WriteFile(file, openAPISpec, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(validator, "validate", file).CombinedOutput(); err != nil {
		t.Errorf("the validator refuses openapi.json: %v\n%s", err, out)
	}
}

func TestOpenAPIMatchesRoutes(t *testing.T) {
	var spec struct {
		Paths map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(openAPISpec, &spec); err != nil {
		t.Fatal(err)
	}
	param := regexp.MustCompile(`\{(\w+)\}`)
	var documented []string
	for path, ops := range spec.Paths {
		for method := range ops {
			documented = append(documented, strings.ToUpper(method)+" "+param.ReplaceAllString(path, ":$1"))
		}
	}
	routes := New(Config{}).Routes()
	slices.Sort(documented)
	slices.Sort(routes)
	for _, r := range routes {
		if !slices.Contains(documented, r) {
			t.Errorf("route %s is not in openapi.json", r)
		}
	}
	for _, d := range documented {
		if !slices.Contains(routes, d) {
			t.Errorf("openapi.json documents %s, which has no route", d)
		}
	}
}

// TestDownloadNames: a download is named by number, date and title (trimmed), with a
// Latin fallback that curl -OJ can save; the export keeps the short names of a register.
func TestDownloadNames(t *testing.T) {
	const long = "Об организации работы стажировочных площадок в 2025-2026 учебном году на базе общеобразовательных организаций"
	for _, tc := range []struct {
		name  string
		o     registry.Order
		mark  string
		want  string
		ascii string
	}{
		{"registered", registry.Order{Kind: "приказ", Number: "1355", Date: "2022-09-22", Title: long}, "",
			"Приказ № 1355 от 22.09.2022 «Об организации работы стажировочных площадок в 2025-2026…».pdf",
			"Prikaz N 1355 ot 22.09.2022 Ob organizatsii raboty stazhirovochnykh ploshchadok v 2025-2026....pdf"},
		{"draft", registry.Order{Kind: "приказ", Title: "Об организации питания"}, "",
			"Проект приказа «Об организации питания».pdf", "Proekt prikaza Ob organizatsii pitaniia.pdf"},
		{"signed, cancelled", registry.Order{Kind: "распоряжение", Number: "37-о", Date: "2026-12-05", Title: "О \"премии\": 1/2"}, " (подписан, отменён)",
			"Распоряжение № 37-о от 05.12.2026 «О _премии__ 1_2» (подписан, отменён).pdf",
			"Rasporiazhenie N 37-o ot 05.12.2026 O _premii__ 1_2 (podpisan, otmenen).pdf"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := downloadName(&tc.o, tc.mark, "pdf")
			if got != tc.want {
				t.Errorf("name\n got %s\nwant %s", got, tc.want)
			}
			cd := contentDisposition(got)
			if want := `attachment; filename="` + tc.ascii + `"; filename*=UTF-8''`; !strings.HasPrefix(cd, want) {
				t.Errorf("Content-Disposition\n got %s\nwant %s", cd, want)
			}
			// The header's own parser gives the UTF-8 name back.
			if _, params, err := mime.ParseMediaType(cd); err != nil || params["filename"] != got {
				t.Errorf("parsed back: %q, %v", params["filename"], err)
			}
		})
	}
	if got := fileName(&registry.Order{Kind: "приказ", Number: "1", Date: "2026-02-01", Title: long}, "pdf"); got != "Приказ № 1 от 01.02.2026.pdf" {
		t.Errorf("export name %q", got)
	}
}
