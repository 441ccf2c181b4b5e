package registrytest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"testing"

	"github.com/google/uuid"

	"orders/internal/registry"
)

// deleteOrder is DeleteOrder for the cases that only look at its error.
func deleteOrder(s registry.Store, ctx context.Context, org string, id uuid.UUID, allowed []registry.Status) error {
	_, err := s.DeleteOrder(ctx, org, id, allowed)
	return err
}

// docKey is a document-store key as blob makes them, for content named by seed.
func docKey(seed string) (key, sum string) {
	h := sha256.Sum256([]byte(seed))
	sum = hex.EncodeToString(h[:])
	return "sha256/" + sum[:2] + "/" + sum, sum
}

// renderAs takes an order through a worker's run that stored the given documents.
func renderAs(t *testing.T, s registry.Store, id uuid.UUID, pdf, docx string) {
	t.Helper()
	o, err := s.MarkRendering(t.Context(), id)
	if err != nil {
		t.Fatalf("MarkRendering: %v", err)
	}
	_, pdfSum := docKey(pdf)
	_, docxSum := docKey(docx)
	pk, _ := docKey(pdf)
	dk, _ := docKey(docx)
	out := registry.Outputs{PDFKey: pk, PDFSHA256: pdfSum, PDFSize: 10, DOCXKey: dk, DOCXSHA256: docxSum, DOCXSize: 20}
	if _, err := s.MarkRendered(t.Context(), id, o.DraftHash, out); err != nil {
		t.Fatalf("MarkRendered: %v", err)
	}
}

// testDeleteFreesDocuments: DeleteOrder returns the keys of the deleted draft's documents that
// no other record refers to, and only those: documents are content-addressed, so another
// order (of any organization) may have the same bytes as its output, its signed document or
// a signature.
func testDeleteFreesDocuments(t *testing.T, db Opener) {
	s, ctx := open(t, db), t.Context()
	mustJournal(t, s, "org-a", "main", "{seq}")
	mustJournal(t, s, "org-b", "main", "{seq}")
	tests := []struct {
		name  string
		other func(t *testing.T, shared string) // makes another record refer to the content shared
		both  bool                              // both documents are freed, not only the own one
	}{
		{"nothing else refers", func(t *testing.T, shared string) {}, true},
		{"another draft's output", func(t *testing.T, shared string) {
			o := mustCreate(t, s, &registry.Order{OrgID: "org-a", Title: "b", Status: registry.StatusQueued})
			renderAs(t, s, o.ID, shared, "b.docx")
		}, false},
		{"another organization's output", func(t *testing.T, shared string) {
			o := mustCreate(t, s, &registry.Order{OrgID: "org-b", Title: "b", Status: registry.StatusQueued})
			renderAs(t, s, o.ID, "b.pdf", shared)
		}, false},
		{"a signed document", func(t *testing.T, shared string) {
			o := mustCreate(t, s, &registry.Order{OrgID: "org-a", Title: "c"})
			register(t, s, "org-a", o.ID, "main", "2026-03-03")
			key, sum := docKey(shared)
			if _, err := s.Sign(ctx, "", o.ID, registry.SignRequest{
				Document: registry.SignedDocument{Key: key, SHA256: sum, Size: 10}, Signatory: "x",
			}); err != nil {
				t.Fatal(err)
			}
		}, false},
		{"a signature", func(t *testing.T, shared string) {
			o := mustCreate(t, s, &registry.Order{OrgID: "org-b", Title: "d"})
			register(t, s, "org-b", o.ID, "main", "2026-03-03")
			key, sum := docKey(shared)
			if err := s.AddSignature(ctx, "", &registry.Signature{OrderID: o.ID, Kind: registry.SignatureDetachedCMS,
				Key: key, SHA256: sum, Verified: "not verified: test"}, nil); err != nil {
				t.Fatal(err)
			}
		}, false},
	}
	for _, tt := range tests {
		// Subtests share the store; each has its own contents.
		t.Run(tt.name, func(t *testing.T) {
			shared, _ := docKey("shared " + tt.name)
			own, _ := docKey("own " + tt.name)
			a := mustCreate(t, s, &registry.Order{OrgID: "org-a", Title: "a", Status: registry.StatusQueued})
			renderAs(t, s, a.ID, "shared "+tt.name, "own "+tt.name)
			tt.other(t, "shared "+tt.name)
			for _, k := range []string{shared, own} {
				if ref, err := s.DocumentReferenced(ctx, k); err != nil || !ref {
					t.Fatalf("DocumentReferenced(%s) before delete = %v, %v; want true", k, ref, err)
				}
			}
			freed, err := s.DeleteOrder(ctx, "org-a", a.ID, registry.Statuses)
			if err != nil {
				t.Fatal(err)
			}
			slices.Sort(freed)
			want := []string{own}
			if tt.both {
				want = append(want, shared)
			}
			slices.Sort(want)
			if !slices.Equal(freed, want) {
				t.Errorf("freed = %v, want %v", freed, want)
			}
			for _, k := range []string{shared, own} {
				ref, err := s.DocumentReferenced(ctx, k)
				if err != nil {
					t.Fatal(err)
				}
				if ref == slices.Contains(freed, k) {
					t.Errorf("DocumentReferenced(%s) after delete = %v, freed %v", k, ref, freed)
				}
			}
		})
	}

	// A refused delete frees nothing.
	o := mustCreate(t, s, &registry.Order{OrgID: "org-a", Title: "e", Status: registry.StatusQueued})
	renderAs(t, s, o.ID, "e.pdf", "e.docx")
	register(t, s, "org-a", o.ID, "main", "2026-04-04")
	freed, err := s.DeleteOrder(ctx, "org-a", o.ID, registry.Statuses)
	wantLifecycle(t, "DeleteOrder(registered)", err, registry.StateRegistered)
	if freed != nil {
		t.Errorf("a refused delete freed %v", freed)
	}
	// A draft never rendered has nothing to free.
	o = mustCreate(t, s, &registry.Order{OrgID: "org-a", Title: "f"})
	if freed, err := s.DeleteOrder(ctx, "org-a", o.ID, registry.Statuses); err != nil || len(freed) != 0 {
		t.Errorf("DeleteOrder(unrendered) = %v, %v", freed, err)
	}
}
