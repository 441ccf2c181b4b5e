package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestQRRequisite: an organization turns the QR-code requisite on in its profile (PUT
// /organizations/{id}); its draft prints none, its registered order prints the code at the
// bottom right of page 1 in both formats, and the code says the number, the date, the
// organization and the SHA-256 of the registered draft that GET /orders/{id} returns.
func TestQRRequisite(t *testing.T) {
	zbarimg, pdftoppm := lookTool(t, "zbarimg"), lookTool(t, "pdftoppm")
	cfg := testConfig(t, t.TempDir())
	_, admin := startService(t, cfg)
	clerk := &client{t: t, base: admin.base, token: setupOrg(t, admin, cfg, "balashikha")}
	head := &client{t: t, base: admin.base, token: createToken(t, cfg, "balashikha", "head")}

	lh := example(t, "balashikha")["letterhead"].(map[string]any)
	var org struct {
		Letterhead struct {
			QRCode bool `json:"qr_code"`
		} `json:"letterhead"`
	}
	admin.json("GET", "/api/v1/organizations/balashikha", nil, http.StatusOK, &org)
	if org.Letterhead.QRCode {
		t.Fatal("the QR code is on before anyone turned it on")
	}
	lh["qr_code"] = true
	admin.json("PUT", "/api/v1/organizations/balashikha", lh, http.StatusOK, &org)
	if !org.Letterhead.QRCode {
		t.Fatal("PUT /organizations did not keep qr_code")
	}
	head.json("PUT", "/api/v1/journals/main", map[string]any{"name": "по основной деятельности", "format": "{seq}",
		"starts": map[string]int{"2022": 1355}}, http.StatusOK, nil)

	draft := example(t, "balashikha")
	delete(draft, "letterhead") // the organization's profile, not a copy in the draft
	var acc struct{ ID string }
	clerk.json("POST", "/api/v1/orders", draft, http.StatusAccepted, &acc)
	waitRendered(t, clerk, acc.ID)
	_, _, pdf := clerk.do("GET", "/api/v1/orders/"+acc.ID+"/document.pdf", "", nil)
	if got := readPage1QR(t, pdftoppm, zbarimg, pdf); got != "" {
		t.Fatalf("a draft prints a QR code: %q", got)
	}

	head.json("POST", "/api/v1/orders/"+acc.ID+"/register", map[string]string{"journal": "main", "date": "2022-09-22"}, http.StatusOK, nil)
	waitRendered(t, clerk, acc.ID)
	var o struct {
		Draft json.RawMessage `json:"draft"`
	}
	clerk.json("GET", "/api/v1/orders/"+acc.ID, nil, http.StatusOK, &o)
	sum := sha256.Sum256(o.Draft)
	want := "Приказ от 22.09.2022 № 1355\nУПРАВЛЕНИЕ ПО ОБРАЗОВАНИЮ\nSHA-256: " + hex.EncodeToString(sum[:])
	_, _, pdf = clerk.do("GET", "/api/v1/orders/"+acc.ID+"/document.pdf", "", nil)
	if got := readPage1QR(t, pdftoppm, zbarimg, pdf); got != want {
		t.Errorf("the registered order's QR code reads\n%q, want\n%q", got, want)
	}
	_, _, docx := clerk.do("GET", "/api/v1/orders/"+acc.ID+"/document.docx", "", nil)
	if body := docxBody(t, docx); !strings.Contains(body, `r:embed="rIdOrdersQR"`) {
		t.Error("the registered order's DOCX has no QR picture")
	}
}

func lookTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is missing; .ci/run installs it", name)
		}
		t.Skipf("%s is missing", name)
	}
	return p
}

// readPage1QR decodes a QR code on page 1, "" if there is none.
func readPage1QR(t *testing.T, pdftoppm, zbarimg string, pdf []byte) string {
	t.Helper()
	dir := t.TempDir()
	in := filepath.Join(dir, "doc.pdf")
	if err := os.WriteFile(in, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(pdftoppm, "-png", "-r", "200", "-f", "1", "-l", "1", "-singlefile", in, filepath.Join(dir, "p")).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v\n%s", err, out)
	}
	// zbarimg exits 4 when it finds no code.
	out, _ := exec.Command(zbarimg, "-q", "--raw", filepath.Join(dir, "p.png")).Output()
	return strings.TrimSuffix(string(out), "\n")
}
