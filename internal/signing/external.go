package signing

import (
	"context"
	"errors"

	"github.com/google/uuid"

	"orders/internal/auth"
	"orders/internal/blob"
	"orders/internal/refusal"
	"orders/internal/registry"
	"orders/internal/sign"
)

// External is a signature made elsewhere: a signed PDF (registry.SignatureExternalPDF) or a
// detached CMS signature (registry.SignatureDetachedCMS), with the form field it came in.
type External struct {
	Kind  string
	Field string
	Data  []byte
}

// Added is what became of an external signature.
type Added struct {
	Signature *registry.Signature
	Result    sign.Result
	// State is the order's state afterwards: signed when a valid signature signed it.
	State registry.State
}

// AddSignature takes a signature made elsewhere of the order's document as stored (the
// final PDF; the signed PDF once there is one). A signed PDF is accepted only when it is
// that document byte for byte plus an incremental update that a signature covers, so
// another order's signed PDF can never become this order's signed original. An invalid
// signature, or one over other bytes, is refused (refusal.Invalid on ext.Field); a signature
// that could not be verified is kept as such, and only a valid one moves a registered order
// to signed. The signature and its audit entry are written in one transaction.
func (s *Service) AddSignature(ctx context.Context, cl auth.Caller, id uuid.UUID, ext External) (*Added, error) {
	o, err := s.Store.GetOrder(ctx, cl.OrgID, id)
	if err != nil {
		return nil, err
	}
	if o.State != registry.StateRegistered && o.State != registry.StateSigned {
		return nil, refusal.InState(o.State, "подписи принимаются для зарегистрированных и подписанных приказов, а этот "+o.State.Word())
	}
	// The document a signature must be over: as stored, the signed PDF once there is one.
	docKey, docSum := o.PDFKey, o.PDFSHA256
	if o.SignedKey != "" {
		docKey, docSum = o.SignedKey, o.SignedSHA256
	}
	if docKey == "" || (o.SignedKey == "" && o.Status != registry.StatusRendered) {
		return nil, refusal.InStatus(o.Status, "итоговый PDF приказа ещё не готов: подпись не с чем сверить; повторите, когда документ будет сформирован")
	}
	doc, err := blob.GetVerified(ctx, s.Blobs, docKey, docSum)
	if err != nil {
		return nil, &refusal.DocumentError{Order: o.ID, Err: err}
	}
	res, err := s.verifyExternal(ctx, doc, ext)
	if err != nil {
		return nil, err
	}
	key, sum, err := s.Blobs.Put(ctx, ext.Data, "application/octet-stream")
	if err != nil {
		return nil, refusal.Fail("подпись не сохранена (хранилище документов); повторите", err)
	}
	sig := record(ext.Kind, key, sum, res)
	details := map[string]any{"kind": ext.Kind, "sha256": sum, "verified": sig.Verified, "trust": sig.Trust, "serial": res.Signer.Serial}
	out := &Added{Signature: sig, Result: res, State: o.State}
	if o.State != registry.StateRegistered || res.Status != sign.Valid {
		// Not verified (or an added signature of a signed order): kept and shown as such;
		// the order stays where it was.
		sig.OrderID = id
		if err := s.Store.AddSignature(ctx, cl.OrgID, sig, registry.NewAuditEntry(cl.Actor, "add-signature", details)); err != nil {
			return nil, err
		}
		return out, nil
	}
	signedPDF := doc // a detached signature of the stored PDF: that PDF is the signed original
	if ext.Kind == registry.SignatureExternalPDF {
		signedPDF = ext.Data
	}
	pdfKey, pdfSum, err := s.Blobs.Put(ctx, signedPDF, "application/pdf")
	if err != nil {
		return nil, refusal.Fail("подписанный документ не сохранён (хранилище документов); повторите", err)
	}
	signed, err := s.Store.Sign(ctx, cl.OrgID, id, registry.SignRequest{
		Document:  registry.SignedDocument{Key: pdfKey, SHA256: pdfSum, Size: int64(len(signedPDF))},
		Signatory: res.Signer.Owner, Signature: sig, Audit: registry.NewAuditEntry(cl.Actor, "sign-external", details),
	})
	if err != nil {
		return nil, err
	}
	out.State = signed.State
	return out, nil
}

// verifyExternal checks ext against the stored document doc; a signature that is not of
// this document, or invalid, is a refusal naming ext.Field.
func (s *Service) verifyExternal(ctx context.Context, doc []byte, ext External) (sign.Result, error) {
	var res sign.Result
	var err error
	if ext.Kind == registry.SignatureExternalPDF {
		res, err = s.verifier().VerifySignedRevision(ctx, doc, ext.Data)
	} else {
		res, err = s.verifier().VerifyDetached(ctx, doc, ext.Data)
	}
	var revErr *sign.RevisionError
	switch {
	case errors.As(err, &revErr):
		return res, refusal.InvalidField(ext.Field, "подписанный файл не является этим приказом: "+revErr.Reason+".")
	case errors.Is(err, sign.ErrNoSignature):
		return res, refusal.InvalidField(ext.Field, "в файле нет электронной подписи.")
	case errors.Is(err, sign.ErrMalformedSignature):
		return res, refusal.InvalidField(ext.Field, "файл не является подписью CMS/PKCS#7 (ожидается .sig в DER, PEM или base64).")
	case err != nil:
		return res, refusal.InvalidField(ext.Field, "файл не проверен: "+err.Error())
	case res.OtherDocument && ext.Kind == registry.SignatureDetachedCMS:
		// In a signed PDF a digest mismatch means the file changed after signing (the
		// revision check above already tied it to this order): that is an invalid signature.
		return res, refusal.InvalidField(ext.Field, "подписанный файл не является этим приказом: подпись сделана над другими байтами, чем хранимый PDF приказа. "+res.Reason)
	case res.Status == sign.Invalid:
		return res, refusal.InvalidField(ext.Field, "подпись недействительна: "+res.Reason)
	}
	return res, nil
}

// Imported verifies the electronic signatures of an imported PDF stored under key. A file
// without one is a scan of paper: no signature, not signed. Otherwise what was found is
// recorded as it verified, and only a valid signature makes the order signed.
func (s *Service) Imported(ctx context.Context, data []byte, key, sum string) (sig *registry.Signature, signed bool) {
	res, err := s.verifier().VerifyPDF(ctx, data)
	if errors.Is(err, sign.ErrNoSignature) {
		return nil, false
	}
	sig = record(registry.SignatureExternalPDF, key, sum, res)
	if err != nil {
		sig.Verified, sig.Trust = "not verified: "+err.Error(), ""
	}
	return sig, sig.Verified == "valid"
}
