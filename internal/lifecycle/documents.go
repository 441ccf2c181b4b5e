package lifecycle

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/google/uuid"

	"orders/internal/auth"
	"orders/internal/order"
	"orders/internal/refusal"
	"orders/internal/registry"
)

// DeleteDraft deletes a draft and then the documents no record refers to any more.
func (s *Service) DeleteDraft(ctx context.Context, cl auth.Caller, id uuid.UUID) error {
	freed, err := s.Store.DeleteOrder(ctx, cl.OrgID, id, Editable())
	if err != nil {
		return err
	}
	s.deleteDocuments(ctx, id, freed)
	return nil
}

// deleteDocuments removes from the document store what a deleted or edited draft no longer
// needs: its working copies may hold personal data, and nothing else refers to them (the
// registry decided, see registry.Orders.DeleteOrder). A client that hangs up must not leave
// them behind, hence WithoutCancel. A failure is logged with the keys, for an operator to
// remove them; the draft itself is gone either way.
//
// A race remains, and is accepted: a render of another order that produced the very same
// bytes (a render is a function of the draft and the order's creation time, so: two identical
// rows of one batch) may have found them stored just before this delete and record the key
// just after. Its document is then missing: a download answers that it cannot
// be read, and rendering again (POST /orders/{id}/rerender) stores the bytes again. A render
// that stores after the delete writes the bytes anew, so it loses nothing.
func (s *Service) deleteDocuments(ctx context.Context, id uuid.UUID, keys []string) {
	ctx = context.WithoutCancel(ctx)
	for _, key := range keys {
		if err := s.Blobs.Delete(ctx, key); err != nil {
			s.log().Error("deleting a document no record refers to any more; remove it by hand", "order", id, "key", key, "err", err)
		}
	}
}

// FreeReplaced deletes the documents of a draft's previous render that its edit made
// obsolete, unless another record refers to them. An edit of a draft that was rendering may
// leave that render's documents behind (the worker's write is refused, its bytes stay): only
// what the order referred to when it was read is known here.
func (s *Service) FreeReplaced(ctx context.Context, before, after *registry.Order) {
	ctx = context.WithoutCancel(ctx)
	var free []string
	for _, key := range []string{before.PDFKey, before.DOCXKey} {
		if key == "" || key == after.PDFKey || key == after.DOCXKey {
			continue
		}
		ref, err := s.Store.DocumentReferenced(ctx, key)
		if err != nil {
			s.log().Error("checking a replaced document", "order", before.ID, "key", key, "err", err)
			continue
		}
		if !ref {
			free = append(free, key)
		}
	}
	s.deleteDocuments(ctx, before.ID, free)
}

// Import is an order registered elsewhere as the caller describes it, with its PDF.
type Import struct {
	// Organization is named by an admin; anyone else imports into their own.
	Organization                               string
	Kind, Title, Number, Date, Signatory, Text string
	PDF                                        []byte
}

// Import takes in an order registered elsewhere (a paper archive). It keeps its number and
// date, takes nothing from a journal, and its document is the uploaded PDF. A PDF whose
// electronic signature verifies is imported as signed; a scan, or a signature that cannot be
// verified, as registered, with what was found kept as a signature. The order, its signature
// and the audit entry are one transaction; a repeat is a *registry.DuplicateError.
func (s *Service) Import(ctx context.Context, cl auth.Caller, im Import) (*registry.Order, error) {
	orgID := cl.OrgID
	if orgID == "" {
		orgID = im.Organization
		if _, err := s.Store.GetOrganization(ctx, orgID); err != nil {
			if errors.Is(err, registry.ErrNotFound) {
				return nil, order.Problems{{Path: "meta.organization", Message: "нет организации «" + orgID + "»"}}
			}
			return nil, err
		}
	}
	key, sum, err := s.Blobs.Put(ctx, im.PDF, "application/pdf")
	if err != nil {
		return nil, refusal.Fail("не удалось сохранить файл; попробуйте ещё раз", err)
	}
	sig, signed := s.Signatures.Imported(ctx, im.PDF, key, sum)
	// What is known of the paper original, in the draft's terms; it is never rendered.
	draft, _ := json.Marshal(map[string]any{"organization": orgID, "kind": im.Kind, "date": im.Date,
		"number": im.Number, "title": im.Title, "signatory": map[string]string{"name": im.Signatory}})
	details := map[string]any{"number": im.Number, "date": im.Date, "kind": im.Kind,
		"sha256": sum, "size": len(im.PDF), "signed": signed}
	if sig != nil {
		details["signature"] = sig.Verified
	}
	return s.Store.ImportOrder(ctx, registry.ImportRequest{
		OrgID: orgID, Kind: im.Kind, Title: im.Title, Number: im.Number, Date: im.Date,
		Signatory: im.Signatory, SearchText: im.Text, Draft: draft,
		Document: registry.SignedDocument{Key: key, SHA256: sum, Size: int64(len(im.PDF))},
		Signed:   signed, Signature: sig, Audit: registry.NewAuditEntry(cl.Actor, "import", details),
	})
}

// Submit records a new draft, queued, and hands it to the workers. A replay of an
// Idempotency-Key (created false) publishes again too: if the first attempt died between the
// insert and the publish, this closes the gap sooner than the sweeper; the job id makes a
// duplicate harmless.
func (s *Service) Submit(ctx context.Context, o *registry.Order) (created bool, err error) {
	o.Status = registry.StatusQueued
	if created, err = s.Store.CreateOrder(ctx, o); err != nil {
		return false, err
	}
	if o.Status == registry.StatusQueued {
		s.Publish(o, "submit")
	}
	return created, nil
}

// EditDraft replaces the draft of an order that is still a draft, queues its render and
// frees the documents the edit made obsolete. u.Status is set here: an edited draft is
// rendered again. The order stays in its organization.
func (s *Service) EditDraft(ctx context.Context, cl auth.Caller, id uuid.UUID, orgID string, u registry.DraftUpdate) (*registry.Order, error) {
	cur, err := s.Store.GetOrder(ctx, cl.OrgID, id)
	if err != nil {
		return nil, err
	}
	if cur.OrgID != orgID {
		return nil, order.Problems{{Path: "organization", Message: "приказ организации «" + cur.OrgID + "» нельзя перенести в другую организацию"}}
	}
	// The change is the next draft version, by the caller, audited in the same write.
	u.Status, u.Author = registry.StatusQueued, cl.Actor
	u.Audit = registry.NewAuditEntry(cl.Actor, "draft-version", nil)
	o, err := s.Store.UpdateDraft(ctx, cl.OrgID, id, u, Editable())
	if err != nil {
		return nil, err
	}
	s.Publish(o, "update")
	s.FreeReplaced(ctx, cur, o)
	return o, nil
}
