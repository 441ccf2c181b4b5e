package web

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"orders/internal/auth"
	"orders/internal/order"
	"orders/internal/registry"
)

// TestImportedOrderPages: an imported order says so on its page and in the list, and offers
// no DOCX and no text of its own (its document is the uploaded PDF); an order of the service
// says neither.
func TestImportedOrderPages(t *testing.T) {
	s := New(Config{})
	now := time.Now()
	mk := func(imported bool) *registry.Order {
		o := &registry.Order{ID: uuid.New(), OrgID: "uo", Kind: "приказ", Title: "Об отпусках", Number: "15-к",
			Date: "2019-03-01", State: registry.StateRegistered, Status: registry.StatusRendered, CreatedAt: now,
			Outputs: registry.Outputs{PDFKey: "k", PDFSHA256: strings.Repeat("a", 64), PDFSize: 10}, Imported: imported}
		if !imported {
			o.DOCXKey, o.DOCXSHA256, o.DOCXSize = "d", strings.Repeat("b", 64), 10
		}
		return o
	}
	cl := auth.Caller{Role: auth.RoleArchivist, OrgID: "uo"}
	for _, imported := range []bool{true, false} {
		o := mk(imported)
		var page bytes.Buffer
		err := s.pages["order"].ExecuteTemplate(&page, "layout", view{Title: "x", Caller: cl, OrgName: "УО",
			Page: orderPageView{Order: o, Draft: &order.Draft{Title: o.Title}, Org: "УО"}, Data: map[string]any{}})
		if err != nil {
			t.Fatal(err)
		}
		var list bytes.Buffer
		err = s.pages["orders"].ExecuteTemplate(&list, "layout", view{Title: "x", Caller: cl, OrgName: "УО",
			Page: ordersView{Orders: []registry.Order{*o}, First: true, States: states()}})
		if err != nil {
			t.Fatal(err)
		}
		html := page.String()
		for what, got := range map[string]bool{
			"the mark on the page":   strings.Contains(html, "Импортирован из бумажного архива"),
			"the mark in the list":   strings.Contains(list.String(), "импортирован из бумажного архива"),
			"no DOCX link":           !strings.Contains(html, "document.docx"),
			"no text of the order":   !strings.Contains(html, `id="h-text"`),
			"the time of the import": strings.Contains(html, "<dt>Импортирован</dt>"),
		} {
			if got != imported {
				t.Errorf("imported %v: %s = %v", imported, what, got)
			}
		}
		if !strings.Contains(html, "document.pdf") {
			t.Errorf("imported %v: no PDF link", imported)
		}
	}
}
