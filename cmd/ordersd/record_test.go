package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
)

// TestRecordTellsTheTruth: every document of an order says what the registry knows, no more
// and no less (issue 11): the signed copy carries the acknowledgements recorded before
// signing, a cancelled order's working copy says so while signed.pdf stays byte-exact, and a
// template sent as an order is refused instead of printed with its fields.
func TestRecordTellsTheTruth(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	_, admin := startService(t, cfg)
	clerk := &client{t: t, base: admin.base, token: setupOrg(t, admin, cfg, "balashikha")}
	head := &client{t: t, base: admin.base, token: createToken(t, cfg, "balashikha", "head")}
	admin.json("PUT", "/api/v1/organizations/balashikha/signing", map[string]any{"data": testCertificate(t)}, http.StatusOK, nil)
	head.json("PUT", "/api/v1/journals/main", map[string]any{"name": "по основной деятельности", "format": "{seq}",
		"starts": map[string]int{"2022": 1355}}, http.StatusOK, nil)

	var acc struct{ ID string }
	clerk.json("POST", "/api/v1/orders", example(t, "balashikha"), http.StatusAccepted, &acc)
	id := acc.ID
	head.json("POST", "/api/v1/orders/"+id+"/register", map[string]string{"journal": "main", "date": "2022-09-22"}, http.StatusOK, nil)
	clerk.json("POST", "/api/v1/orders/"+id+"/acknowledgements", map[string]string{"person": "Л.Е. Мартынова", "date": "2022-09-23"}, http.StatusOK, nil)
	waitRendered(t, clerk, id)
	_, _, working := clerk.do("GET", "/api/v1/orders/"+id+"/document.pdf", "", nil)
	if !strings.Contains(pdfText(t, working), "23.09.2022") {
		t.Fatal("document.pdf lacks the recorded acknowledgement date")
	}

	// The signed copy prints the same facts as the working copy: the acknowledgement date too.
	var signed fullOrder
	head.json("POST", "/api/v1/orders/"+id+"/sign", []byte(`{}`), http.StatusOK, &signed)
	_, _, spdf := head.do("GET", "/api/v1/orders/"+id+"/signed.pdf", "", nil)
	if text := pdfText(t, spdf); !strings.Contains(text, "23.09.2022") || !strings.Contains(text, "№ 1355") {
		t.Errorf("signed.pdf lacks the acknowledgement date or the number")
	}

	// Cancelling marks the working copy, with date, reason and who; signed.pdf is untouched.
	var cancelled struct {
		fullOrder
		CancelledBy  string `json:"cancelled_by"`
		CancelReason string `json:"cancel_reason"`
	}
	head.json("POST", "/api/v1/orders/"+id+"/cancel", map[string]string{"reason": "издан повторно"}, http.StatusOK, &cancelled)
	if cancelled.State != "cancelled" || cancelled.CancelReason != "издан повторно" || cancelled.CancelledBy == "" {
		t.Errorf("cancelled: %+v", cancelled)
	}
	waitRendered(t, clerk, id)
	_, _, working = clerk.do("GET", "/api/v1/orders/"+id+"/document.pdf", "", nil)
	text := strings.Join(strings.Fields(pdfText(t, working)), " ")
	for _, want := range []string{"ОТМЕНЁН", "Приказ отменён", "Причина: издан повторно.", "(" + cancelled.CancelledBy + ")", "№ 1355", "23.09.2022"} {
		if !strings.Contains(text, want) {
			t.Errorf("the cancelled working copy lacks %q:\n%.600s", want, text)
		}
	}
	_, _, docx := clerk.do("GET", "/api/v1/orders/"+id+"/document.docx", "", nil)
	if body := docxBody(t, docx); !strings.Contains(body, "ОТМЕНЁН") || !strings.Contains(body, "издан повторно") {
		t.Error("the cancelled DOCX lacks the mark")
	}
	_, shdr, spdf2 := head.do("GET", "/api/v1/orders/"+id+"/signed.pdf", "", nil)
	// «… (подписан, отменён).pdf»
	if cd := shdr.Get("Content-Disposition"); !strings.Contains(cd, "%D0%BE%D1%82%D0%BC%D0%B5%D0%BD%D1%91%D0%BD") || shdr.Get("X-Order-State") != "cancelled" {
		t.Errorf("signed.pdf of a cancelled order does not say so: %q", cd)
	}
	sum := sha256.Sum256(spdf2)
	if !bytes.Equal(spdf, spdf2) || hex.EncodeToString(sum[:]) != signed.Documents["signed_pdf"].SHA256 {
		t.Error("signed.pdf changed when the order was cancelled")
	}

	// A template sent as an order: 422 with the path of every unfilled field, also from the
	// preview; nothing is stored.
	tmpl, err := os.ReadFile("../../templates/orders/platforms-yearly.json")
	must(t, err)
	var draft map[string]any
	must(t, json.Unmarshal(tmpl, &draft))
	delete(draft, "letterhead")
	for _, path := range []string{"/api/v1/orders", "/api/v1/preview"} {
		var p struct {
			Errors []struct{ Path, Message string }
		}
		clerk.json("POST", path, draft, http.StatusUnprocessableEntity, &p)
		var paths []string
		for _, e := range p.Errors {
			paths = append(paths, e.Path+": "+e.Message)
		}
		all := strings.Join(paths, "\n")
		for _, want := range []string{"signatory.name: незаполненное поле шаблона {подписант}", "{учебный_год}"} {
			if !strings.Contains(all, want) {
				t.Errorf("%s: problems lack %q:\n%s", path, want, all)
			}
		}
	}
	// A field with its Cyrillic escaped, as Python's json.dumps writes it by default.
	escaped := example(t, "balashikha")
	escaped["signatory"] = map[string]any{"position": []string{"Начальник"}, "name": "{подписант}"}
	raw, err := json.Marshal(escaped)
	must(t, err)
	raw = bytes.ReplaceAll(raw, []byte("{подписант}"), []byte(`{\u043f\u043e\u0434\u043f\u0438\u0441\u0430\u043d\u0442}`))
	var p struct {
		Errors []struct{ Path, Message string }
	}
	clerk.json("POST", "/api/v1/orders", raw, http.StatusUnprocessableEntity, &p)
	if len(p.Errors) == 0 || !strings.Contains(fmt.Sprint(p.Errors), "signatory.name") {
		t.Errorf("an escaped template field is not found: %+v", p.Errors)
	}
	var list struct{ Orders []fullOrder }
	clerk.json("GET", "/api/v1/orders", nil, http.StatusOK, &list)
	if len(list.Orders) != 1 {
		t.Errorf("%d orders stored, want only the first", len(list.Orders))
	}
}
