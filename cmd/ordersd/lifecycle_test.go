package main

import (
	"archive/zip"
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// testCertificate makes a PEM certificate and key such as an organization would upload.
func testCertificate(t *testing.T) []byte {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(0x01D8A3F2C4),
		Subject:      pkix.Name{CommonName: "Зубова Анна Николаевна", Organization: []string{"Управление по образованию"}},
		NotBefore:    time.Now().Add(-time.Hour), NotAfter: time.Now().Add(365 * 24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	pem.Encode(&buf, &pem.Block{Type: "CERTIFICATE", Bytes: der})
	pem.Encode(&buf, &pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	return buf.Bytes()
}

type fullOrder struct {
	orderResp
	State  string `json:"state"`
	Number string `json:"number"`
	Date   string `json:"date"`
}

// TestLifecycle walks an order from draft to signed archive copy and checks every refusal
// on the way.
func TestLifecycle(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	_, admin := startService(t, cfg)
	clerk := &client{t: t, base: admin.base, token: setupOrg(t, admin, cfg, "balashikha")}
	head := &client{t: t, base: admin.base, token: createToken(t, cfg, "balashikha", "head")}
	archivist := &client{t: t, base: admin.base, token: createToken(t, cfg, "balashikha", "archivist")}
	admin.json("PUT", "/api/v1/organizations/balashikha/signing", map[string]any{"data": testCertificate(t)}, http.StatusOK, nil)

	draft := example(t, "balashikha")
	delete(draft, "number")
	delete(draft, "date")
	var acc struct{ ID string }
	clerk.json("POST", "/api/v1/orders", draft, http.StatusAccepted, &acc)
	id := acc.ID
	waitRendered(t, clerk, id)
	_, _, pdf := clerk.do("GET", "/api/v1/orders/"+id+"/document.pdf", "", nil)
	if text := pdfText(t, pdf); !strings.Contains(text, "ПРОЕКТ") || strings.Contains(text, "1355") {
		t.Fatalf("a draft must print ПРОЕКТ and no number:\n%s", text[:300])
	}

	// Journal with the year's first number, as a department that issued 1354 orders on paper.
	head.json("PUT", "/api/v1/journals/main", map[string]any{"name": "по основной деятельности", "format": "{seq}",
		"starts": map[string]int{"2022": 1355}}, http.StatusOK, nil)
	clerk.json("POST", "/api/v1/orders/"+id+"/register", map[string]string{"journal": "main", "date": "2022-09-22"}, http.StatusForbidden, nil)
	clerk.json("POST", "/api/v1/orders/"+id+"/sign", nil, http.StatusForbidden, nil)
	head.json("POST", "/api/v1/orders/"+id+"/sign", []byte(`{}`), http.StatusConflict, nil) // not registered yet
	var reg fullOrder
	head.json("POST", "/api/v1/orders/"+id+"/register", map[string]string{"journal": "main", "date": "2022-09-22"}, http.StatusOK, &reg)
	if reg.State != "registered" || reg.Number != "1355" || reg.Date != "2022-09-22" {
		t.Fatalf("registered: %+v", reg)
	}
	head.json("POST", "/api/v1/orders/"+id+"/register", map[string]string{"journal": "main"}, http.StatusConflict, nil)
	clerk.json("PUT", "/api/v1/orders/"+id, draft, http.StatusConflict, nil)
	clerk.json("DELETE", "/api/v1/orders/"+id, nil, http.StatusConflict, nil)
	waitRendered(t, clerk, id)
	_, _, pdf = clerk.do("GET", "/api/v1/orders/"+id+"/document.pdf", "", nil)
	if text := pdfText(t, pdf); strings.Contains(text, "ПРОЕКТ") || !strings.Contains(text, "№ 1355") {
		t.Fatalf("registered order must print its number:\n%s", text[:300])
	}

	var signed fullOrder
	head.json("POST", "/api/v1/orders/"+id+"/sign", []byte(`{}`), http.StatusOK, &signed)
	if signed.State != "signed" || signed.Documents["signed_pdf"].SHA256 == "" {
		t.Fatalf("signed: %+v", signed)
	}
	head.json("POST", "/api/v1/orders/"+id+"/sign", []byte(`{}`), http.StatusConflict, nil)
	code, hdr, spdf := archivist.do("GET", "/api/v1/orders/"+id+"/signed.pdf", "", nil)
	if code != http.StatusOK || hdr.Get("ETag") != `"`+signed.Documents["signed_pdf"].SHA256+`"` {
		t.Fatalf("signed.pdf: %d %s", code, hdr.Get("ETag"))
	}
	text := strings.Join(strings.Fields(pdfText(t, spdf)), " ")
	for _, want := range []string{"ДОКУМЕНТ ПОДПИСАН", "ЭЛЕКТРОННОЙ ПОДПИСЬЮ", "Владелец: Зубова Анна Николаевна", "Сертификат: 01D8A3F2C4"} {
		if !strings.Contains(text, want) {
			t.Errorf("signed PDF lacks %q", want)
		}
	}
	checkPdfsig(t, spdf)
	// No trusted roots are configured: the service's own signature is valid, and its
	// certificate is not claimed to be trusted.
	var sigs struct {
		Signatures []struct{ Kind, Verified, Trust, Verdict string }
	}
	archivist.json("GET", "/api/v1/orders/"+id+"/signatures", nil, http.StatusOK, &sigs)
	if len(sigs.Signatures) != 1 || sigs.Signatures[0].Verified != "valid" ||
		sigs.Signatures[0].Verdict != "подпись верна, сертификат не проверен" || !strings.HasPrefix(sigs.Signatures[0].Trust, "not checked: ") {
		t.Errorf("signatures: %+v", sigs.Signatures)
	}

	// Archive search by word forms and by number.
	var found struct{ Orders []fullOrder }
	archivist.json("GET", "/api/v1/archive?q="+urlq("стажировочная площадка")+"&state=signed", nil, http.StatusOK, &found)
	if len(found.Orders) != 1 || found.Orders[0].ID != id {
		t.Errorf("full-text search: %+v", found.Orders)
	}
	archivist.json("GET", "/api/v1/archive?number=1355", nil, http.StatusOK, &found)
	if len(found.Orders) != 1 {
		t.Errorf("number search: %+v", found.Orders)
	}
	archivist.json("GET", "/api/v1/archive?q="+urlq("космодром"), nil, http.StatusOK, &found)
	if len(found.Orders) != 0 {
		t.Errorf("a word the order lacks found %d", len(found.Orders))
	}

	// Acknowledgements: who has read it, who not yet.
	var acks struct {
		Read    []map[string]any
		Pending []string
	}
	clerk.json("POST", "/api/v1/orders/"+id+"/acknowledgements", map[string]string{"person": "Л.Е. Мартынова", "date": "2022-09-23"}, http.StatusOK, &acks)
	if len(acks.Read) != 1 || len(acks.Pending) != 1 || acks.Pending[0] != "Т.В. Рожкова" {
		t.Errorf("acknowledgements: %+v", acks)
	}
	clerk.json("POST", "/api/v1/orders/"+id+"/acknowledgements", map[string]string{"person": "Л.Е. Мартынова"}, http.StatusConflict, nil)
	clerk.json("POST", "/api/v1/orders/"+id+"/acknowledgements", map[string]string{"person": "Посторонний"}, http.StatusUnprocessableEntity, nil)
	waitRendered(t, clerk, id)
	_, _, pdf = clerk.do("GET", "/api/v1/orders/"+id+"/document.pdf", "", nil)
	if !strings.Contains(pdfText(t, pdf), "23.09.2022") {
		t.Error("the recorded acknowledgement date is not in the re-rendered PDF")
	}

	// Export: the signed PDF byte for byte and a registry CSV Excel opens.
	code, _, zipData := archivist.do("GET", "/api/v1/archive/export?date_from=2022-01-01&date_to=2022-12-31", "", nil)
	if code != http.StatusOK {
		t.Fatalf("export: %d %s", code, zipData)
	}
	zr, err := zip.NewReader(bytes.NewReader(zipData), int64(len(zipData)))
	if err != nil {
		t.Fatal(err)
	}
	var gotPDF, gotCSV bool
	for _, f := range zr.File {
		rc, _ := f.Open()
		var buf bytes.Buffer
		buf.ReadFrom(rc)
		rc.Close()
		switch {
		case strings.HasSuffix(f.Name, ".pdf"):
			gotPDF = bytes.Equal(buf.Bytes(), spdf)
		case f.Name == "реестр.csv":
			gotCSV = bytes.HasPrefix(buf.Bytes(), []byte("\ufeffномер;дата;заголовок")) && strings.Contains(buf.String(), "1355;22.09.2022;")
		}
	}
	if !gotPDF || !gotCSV {
		t.Errorf("export: signed pdf intact %v, csv %v", gotPDF, gotCSV)
	}

	// Cancel keeps the number; the audit chain holds every step.
	var cancelled fullOrder
	head.json("POST", "/api/v1/orders/"+id+"/cancel", map[string]string{"reason": ""}, http.StatusUnprocessableEntity, nil)
	head.json("POST", "/api/v1/orders/"+id+"/cancel", map[string]string{"reason": "издан повторно"}, http.StatusOK, &cancelled)
	if cancelled.State != "cancelled" || cancelled.Number != "1355" {
		t.Errorf("cancelled: %+v", cancelled)
	}
	head.json("POST", "/api/v1/orders/"+id+"/cancel", map[string]string{"reason": "ещё раз"}, http.StatusConflict, nil)
	var audit struct {
		Entries []struct{ Action string }
	}
	archivist.json("GET", "/api/v1/orders/"+id+"/audit", nil, http.StatusOK, &audit)
	var actions []string
	for _, e := range audit.Entries {
		actions = append(actions, e.Action)
	}
	for _, want := range []string{"register", "sign", "download-signed", "acknowledge", "cancel"} {
		if !strings.Contains(strings.Join(actions, ","), want) {
			t.Errorf("audit lacks %s: %v", want, actions)
		}
	}
	var verify struct{ Intact bool }
	archivist.json("GET", "/api/v1/audit/verify", nil, http.StatusOK, &verify)
	if !verify.Intact {
		t.Error("audit chain reported broken")
	}
}

func urlq(s string) string {
	return strings.NewReplacer(" ", "%20").Replace(s)
}

// checkPdfsig asks poppler whether the signature is valid and covers the whole file; then a
// flipped byte must make it fail.
func checkPdfsig(t *testing.T, pdf []byte) {
	t.Helper()
	if _, err := exec.LookPath("pdfsig"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("pdfsig missing (poppler-utils)")
		}
		t.Skip("pdfsig missing")
	}
	run := func(data []byte) string {
		f := t.TempDir() + "/s.pdf"
		os.WriteFile(f, data, 0o644)
		out, _ := exec.Command("pdfsig", f).CombinedOutput()
		return string(out)
	}
	out := run(pdf)
	if !strings.Contains(out, "Signature is Valid.") || !strings.Contains(out, "Total document signed") {
		t.Errorf("pdfsig does not accept the signed PDF:\n%s", out)
	}
	bad := bytes.Clone(pdf)
	i := bytes.Index(bad, []byte("ПРИКАЗ"))
	if i < 0 {
		i = len(bad) / 3
	}
	bad[i+200] ^= 0x01
	if out := run(bad); strings.Contains(out, "Signature is Valid.") {
		t.Errorf("pdfsig accepts a changed PDF:\n%s", out)
	}
}
