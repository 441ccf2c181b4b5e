package api

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"orders/internal/layout"
	"orders/internal/printed"
	"orders/internal/render"
	"orders/templates"
)

// emblemUpload is a 60×80 PNG with transparency, as a clerk's graphics editor saves one.
func emblemUpload(t *testing.T) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, 60, 80))
	for y := range 80 {
		for x := range 60 {
			img.SetNRGBA(x, y, color.NRGBA{B: 150, A: uint8(50 + y*2)})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// pngBomb declares 50000×50000 RGBA pixels (10 GB decoded) in under 100 bytes.
func pngBomb() []byte {
	chunk := func(typ string, data []byte) []byte {
		var b bytes.Buffer
		_ = binary.Write(&b, binary.BigEndian, uint32(len(data)))
		b.WriteString(typ)
		b.Write(data)
		_ = binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(append([]byte(typ), data...)))
		return b.Bytes()
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr, 50000)
	binary.BigEndian.PutUint32(ihdr[4:], 50000)
	ihdr[8], ihdr[9] = 8, 6
	out := append([]byte("\x89PNG\r\n\x1a\n"), chunk("IHDR", ihdr)...)
	return append(out, chunk("IEND", nil)...)
}

// markedLetterhead is the built-in centred letterhead with a line of its own: what an
// organization's designer would change.
func markedLetterhead(t *testing.T) []byte {
	t.Helper()
	src, err := templates.Letterhead.ReadFile("letterhead/centered.docx")
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(src), int64(len(src)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range zr.File {
		rc, _ := f.Open()
		data, _ := io.ReadAll(rc)
		rc.Close()
		if f.Name == "word/document.xml" {
			data = bytes.Replace(data, []byte("{organization}"), []byte("СОБСТВЕННЫЙ БЛАНК {organization}"), 1)
		}
		w, _ := zw.Create(f.Name)
		_, _ = w.Write(data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// TestOrganizationFiles: an admin sets and removes the emblem and the DOCX letterhead of an
// organization; bad uploads are refused in Russian before anything is kept; the organization
// says what it has; and the documents of its orders carry both (the render path reads them
// from the registry through printed.Draft).
func TestOrganizationFiles(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	admin, clerk := h.token("", roleAdmin), h.token("org-a", roleClerk)
	if rec := h.call("PUT", "/api/v1/organizations/org-a", admin, exampleDraft(t)["letterhead"], nil); rec.Code != http.StatusOK {
		t.Fatalf("PUT organization: %d %s", rec.Code, rec.Body)
	}
	put := func(path, token, ctype string, body []byte) *bytes.Buffer {
		t.Helper()
		rec := h.do(t.Context(), "PUT", path, token, bytes.NewReader(body), ctype)
		return bytes.NewBufferString(strings.TrimSpace(rec.Result().Status) + " " + rec.Body.String())
	}
	emblemPath, lhPath := "/api/v1/organizations/org-a/emblem", "/api/v1/organizations/org-a/letterhead"
	docxType := "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
	for _, c := range []struct {
		name, path, token, ctype string
		body                     []byte
		want                     string
	}{
		{"clerk", emblemPath, clerk, "image/png", emblemUpload(t), "403"},
		{"wrong type", emblemPath, admin, "image/gif", emblemUpload(t), "415"},
		{"PNG bomb", emblemPath, admin, "image/png", pngBomb(), "422 Unprocessable Entity"},
		{"PNG bomb says why", emblemPath, admin, "image/png", pngBomb(), "эмблема: изображение 50000×50000 пикселей, допускается не более 2000×2000"},
		{"too big", emblemPath, admin, "image/png", make([]byte, 300<<10), "413"},
		{"unknown organization", "/api/v1/organizations/org-x/emblem", admin, "image/png", emblemUpload(t), "404"},
		{"letterhead not a docx", lhPath, admin, docxType, []byte("%PDF-1.7"), "не архив zip"},
		{"letterhead as JSON", lhPath, admin, "application/json", markedLetterhead(t), "415"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := put(c.path, c.token, c.ctype, c.body).String(); !strings.Contains(got, c.want) {
				t.Errorf("got %s; want %q", got, c.want)
			}
		})
	}
	if o, _ := h.store.GetOrganization(t.Context(), "org-a"); o.HasEmblem || o.HasLetterhead {
		t.Fatalf("a refused upload was kept: %+v", o)
	}

	var view orgView
	if got := put(emblemPath, admin, "image/png", emblemUpload(t)).String(); !strings.HasPrefix(got, "200") {
		t.Fatalf("PUT emblem: %s", got)
	}
	if got := put(lhPath, admin, docxType, markedLetterhead(t)).String(); !strings.HasPrefix(got, "200") {
		t.Fatalf("PUT letterhead: %s", got)
	}
	h.call("GET", "/api/v1/organizations/org-a", clerk, nil, &view)
	if !view.Emblem || !view.CustomLetterhead {
		t.Errorf("organization after uploads: %+v", view)
	}
	rec := h.do(t.Context(), "GET", emblemPath, clerk, nil, "")
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "image/png" {
		t.Fatalf("GET emblem: %d %s", rec.Code, rec.Header().Get("Content-Type"))
	}
	stored := rec.Body.Bytes()
	if cfg, err := png.DecodeConfig(bytes.NewReader(stored)); err != nil || cfg.Width != 60 || cfg.Height != 80 || stored[25] != 2 {
		t.Errorf("stored emblem %v %v, colour type %d: want the 60×80 upload as opaque RGB", cfg, err, stored[25])
	}
	if rec := h.do(t.Context(), "GET", "/api/v1/organizations/org-b/emblem", h.token("org-b", roleClerk), nil, ""); rec.Code != http.StatusNotFound {
		t.Errorf("another organization's clerk reads the emblem: %d", rec.Code)
	}

	// What the worker and signing print: a draft of org-a.
	id := h.submit("org-a", exampleDraft(t))
	o, err := h.store.GetOrder(t.Context(), "org-a", uuid.MustParse(id))
	if err != nil {
		t.Fatal(err)
	}
	d, err := printed.Draft(t.Context(), h.store, o, "")
	if err != nil {
		t.Fatal(err)
	}
	pdfBytes, docxBytes, err := render.New(layout.Options{}).Render(d, time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(pdfBytes, []byte("/Subtype /Image")) || !bytes.Contains(pdfBytes, []byte("/Width 60")) {
		t.Error("the PDF has no emblem")
	}
	if !bytes.Contains(unzipPart(t, docxBytes, "word/document.xml"), []byte("СОБСТВЕННЫЙ БЛАНК")) {
		t.Error("the DOCX is not on the organization's letterhead")
	}
	// The editor's preview shows the emblem too.
	if rec := h.call("POST", "/api/v1/preview", clerk, exampleDraft(t), nil); rec.Code != http.StatusOK || !bytes.Contains(rec.Body.Bytes(), []byte("/Width 60")) {
		t.Errorf("preview: %d, emblem drawn %v", rec.Code, bytes.Contains(rec.Body.Bytes(), []byte("/Width 60")))
	}

	for _, path := range []string{emblemPath, lhPath} {
		if rec := h.do(t.Context(), "DELETE", path, clerk, nil, ""); rec.Code != http.StatusForbidden {
			t.Errorf("clerk DELETE %s: %d", path, rec.Code)
		}
		if rec := h.do(t.Context(), "DELETE", path, admin, nil, ""); rec.Code != http.StatusOK {
			t.Errorf("DELETE %s: %d %s", path, rec.Code, rec.Body)
		}
	}
	h.call("GET", "/api/v1/organizations/org-a", clerk, nil, &view)
	if view.Emblem || view.CustomLetterhead {
		t.Errorf("organization after removal: %+v", view)
	}
	if rec := h.do(t.Context(), "GET", emblemPath, clerk, nil, ""); rec.Code != http.StatusNotFound {
		t.Errorf("GET a removed emblem: %d", rec.Code)
	}
	if d, err := printed.Draft(t.Context(), h.store, o, ""); err != nil || d.Emblem != nil || d.DOCXTemplate != nil {
		t.Errorf("after removal the draft prints emblem %d bytes, letterhead %d bytes (%v)", len(d.Emblem), len(d.DOCXTemplate), err)
	}
}

func unzipPart(t *testing.T, data []byte, name string) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		if f.Name == name {
			rc, _ := f.Open()
			defer rc.Close()
			b, _ := io.ReadAll(rc)
			return b
		}
	}
	t.Fatalf("no %s", name)
	return nil
}
