package signing

import (
	"bytes"
	"image"
	"image/png"
	"testing"

	"orders/internal/registry"
	"orders/internal/render"
	"orders/internal/sign"
)

// TestSignedPDFCarriesEmblem: the copy to sign is rendered with the organization's emblem
// as the registry keeps it, like the working copy, and still verifies.
func TestSignedPDFCarriesEmblem(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	img := image.NewGray(image.Rect(0, 0, 52, 70))
	for i := range img.Pix {
		img.Pix[i] = uint8(i)
	}
	var up bytes.Buffer
	if err := png.Encode(&up, img); err != nil {
		t.Fatal(err)
	}
	clean, err := render.CleanEmblem(up.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if err := e.store.SetOrganizationFile(ctx, "org-a", registry.OrgEmblem, clean); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.SetKey(ctx, "org-a", Material{Data: e.pem}); err != nil {
		t.Fatal(err)
	}
	signed, err := e.svc.Sign(ctx, e.head, e.order(true).ID)
	if err != nil {
		t.Fatal(err)
	}
	pdf, err := e.blobs.Get(ctx, signed.SignedKey)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(pdf, []byte("/Subtype /Image")) || !bytes.Contains(pdf, []byte("/Width 52")) || bytes.Contains(pdf, []byte("/SMask")) {
		t.Error("the signed PDF lacks the opaque emblem")
	}
	if res, err := e.svc.Verifier.VerifyPDF(ctx, pdf); err != nil || res.Status != sign.Valid {
		t.Errorf("the signed PDF does not verify: %+v %v", res, err)
	}
}
