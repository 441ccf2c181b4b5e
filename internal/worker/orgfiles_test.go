package worker

import (
	"archive/zip"
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"io"
	"testing"

	"orders/internal/layout"
	"orders/internal/queue"
	"orders/internal/registry"
	"orders/internal/render"
	"orders/templates"
)

// TestWorkerPrintsOrganizationFiles: the worker renders an order with its organization's
// emblem (the PDF) and own letterhead (the DOCX), as the registry keeps them when it renders.
func TestWorkerPrintsOrganizationFiles(t *testing.T) {
	w, store, o := setup(t, render.New(layout.Options{}))
	ctx := context.Background()
	if err := store.PutOrganization(ctx, &registry.Organization{ID: "org", Name: "УО", Profile: []byte(`{"name":"УО"}`)}); err != nil {
		t.Fatal(err)
	}
	img := image.NewRGBA(image.Rect(0, 0, 48, 64))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	img.SetRGBA(10, 10, color.RGBA{R: 200, A: 255})
	var emblem bytes.Buffer
	if err := png.Encode(&emblem, img); err != nil {
		t.Fatal(err)
	}
	clean, err := render.CleanEmblem(emblem.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if err := store.SetOrganizationFile(ctx, "org", registry.OrgEmblem, clean); err != nil {
		t.Fatal(err)
	}
	if err := store.SetOrganizationFile(ctx, "org", registry.OrgLetterhead, ownLetterhead(t)); err != nil {
		t.Fatal(err)
	}
	if err := w.Handle(ctx, queue.Job{OrderID: o.ID}); err != nil {
		t.Fatal(err)
	}
	got, err := store.GetOrder(ctx, "", o.ID)
	if err != nil || got.Status != registry.StatusRendered {
		t.Fatalf("order after render: %+v %v", got, err)
	}
	pdf, err := w.Blobs.Get(ctx, got.PDFKey)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(pdf, []byte("/Subtype /Image")) || !bytes.Contains(pdf, []byte("/Width 48")) {
		t.Error("the PDF has no emblem")
	}
	docx, err := w.Blobs.Get(ctx, got.DOCXKey)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(docx), int64(len(docx)))
	if err != nil {
		t.Fatal(err)
	}
	rc, err := zr.Open("word/document.xml")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(rc)
	rc.Close()
	if !bytes.Contains(body, []byte("БЛАНК ОРГАНИЗАЦИИ")) {
		t.Error("the DOCX is not on the organization's own letterhead")
	}
}

// ownLetterhead is the built-in centred letterhead with a line of the organization's own.
func ownLetterhead(t *testing.T) []byte {
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
			data = bytes.Replace(data, []byte("{organization}"), []byte("БЛАНК ОРГАНИЗАЦИИ {organization}"), 1)
		}
		fw, _ := zw.Create(f.Name)
		_, _ = fw.Write(data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}
