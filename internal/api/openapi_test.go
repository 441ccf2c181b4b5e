package api

import (
	"encoding/json"
	"mime"
	"regexp"
	"slices"
	"strings"
	"testing"

	"orders/internal/registry"
)

// TestOpenAPIMatchesRoutes keeps openapi.json true to the router in both directions.
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
