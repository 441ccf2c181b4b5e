// Package signing is the signing of orders, for the API and anything else that signs: it
// keeps an organization's key sealed in the registry, signs a registered order with it (the
// stamped PDF from printed.Draft, signed, stored, recorded with its audit entry in one
// transaction), and takes signatures made elsewhere after checking they are over the
// order's stored document. It never speaks HTTP; refusals are refusal.Error.
package signing

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"orders/internal/auth"
	"orders/internal/blob"
	"orders/internal/layout"
	"orders/internal/printed"
	"orders/internal/refusal"
	"orders/internal/registry"
	"orders/internal/render"
	"orders/internal/sign"
)

// Store is the part of the registry signing uses.
type Store interface {
	GetOrder(ctx context.Context, orgID string, id uuid.UUID) (*registry.Order, error)
	GetOrganization(ctx context.Context, id string) (*registry.Organization, error)
	SetOrganizationSigning(ctx context.Context, id string, signing []byte) error
	Sign(ctx context.Context, orgID string, id uuid.UUID, r registry.SignRequest) (*registry.Order, error)
	AddSignature(ctx context.Context, orgID string, s *registry.Signature, audit *registry.AuditEntry) error
	printed.Acks
}

// Service signs orders.
type Service struct {
	Store Store
	Blobs blob.Store
	// Renderer draws the stamped PDF.
	Renderer *render.Renderer
	// Verifier checks signatures and the trust of certificates; a zero one checks the
	// mathematics only.
	Verifier *sign.Verifier
	// SecretKey (32 bytes) seals organizations' keys at rest.
	SecretKey []byte
	// Now is the signing time; default time.Now.
	Now func() time.Time
	// CheckBase is the installation's public address, for the QR code (as the worker's).
	CheckBase string
}

func (s *Service) verifier() *sign.Verifier {
	if s.Verifier != nil {
		return s.Verifier
	}
	return &sign.Verifier{}
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// SetKey stores an organization's signing certificate and key after checking they load.
func (s *Service) SetKey(ctx context.Context, orgID string, m Material) (sign.CertInfo, error) {
	signer, err := sign.LoadSigner(m.Data, m.Password)
	if err != nil {
		field := "data"
		if errors.Is(err, sign.ErrWrongPassword) {
			field = "password"
		}
		return sign.CertInfo{}, refusal.InvalidField(field, Words(err))
	}
	org, err := s.Store.GetOrganization(ctx, orgID)
	if err != nil {
		return sign.CertInfo{}, err
	}
	box, err := Seal(s.SecretKey, org.ID, m)
	if err != nil {
		return sign.CertInfo{}, refusal.Fail("ключ подписи не удалось зашифровать для хранения: "+err.Error(), err)
	}
	// Only the signing material is written: a whole-organization write of what was read
	// above would undo a profile stored meanwhile, or bring back a deleted organization.
	if err := s.Store.SetOrganizationSigning(ctx, org.ID, box); err != nil {
		return sign.CertInfo{}, err
	}
	return signer.Info(), nil
}

// signer opens the organization's key.
func (s *Service) signer(ctx context.Context, orgID string) (*sign.Signer, error) {
	org, err := s.Store.GetOrganization(ctx, orgID)
	if err != nil {
		return nil, err
	}
	if len(org.Signing) == 0 {
		return nil, refusal.Conflictf("у организации «" + orgID + "» нет сертификата подписи: его загружает администратор (PUT /api/v1/organizations/" + orgID + "/signing)")
	}
	m, err := Open(s.SecretKey, org.ID, org.Signing)
	if err != nil {
		return nil, &refusal.Error{Kind: refusal.Conflict, Msg: "сертификат подписи организации нельзя использовать: " + err.Error(), Err: err}
	}
	signer, err := sign.LoadSigner(m.Data, m.Password)
	if err != nil {
		return nil, refusal.Conflictf("сертификат подписи организации нельзя использовать: " + Words(err))
	}
	return signer, nil
}

// Sign draws the visible signature mark into the order's final PDF, signs it with the
// organization's key and records the signed document, its signature and the audit entry in
// one transaction.
func (s *Service) Sign(ctx context.Context, cl auth.Caller, id uuid.UUID) (*registry.Order, error) {
	o, err := s.Store.GetOrder(ctx, cl.OrgID, id)
	if err != nil {
		return nil, err
	}
	if o.State != registry.StateRegistered {
		return nil, refusal.InState(o.State, "подписать можно только зарегистрированный приказ, а этот "+o.State.Word())
	}
	if o.Imported {
		// Signing here stamps and signs a new render; an imported order's document is its upload.
		return nil, refusal.Conflictf("приказ импортирован: сервис не подписывает его своим ключом; подпись к загруженному PDF добавляется через POST /api/v1/orders/{id}/signatures")
	}
	signer, err := s.signer(ctx, o.OrgID)
	if err != nil {
		return nil, err
	}
	// The copy to sign prints what the working copy prints: the same draft, acknowledgements
	// and marks, decided in one place.
	d, err := printed.Draft(ctx, s.Store, o, s.CheckBase)
	if err != nil {
		return nil, refusal.Fail("приказ не удаётся сформировать: "+err.Error(), err)
	}
	info := signer.Info()
	now := s.now()
	stamped, err := s.Renderer.StampedPDF(d, o.CreatedAt, &layout.Stamp{
		Serial: info.Serial, Owner: info.Owner, ValidFrom: info.ValidFrom, ValidTo: info.ValidTo})
	if err != nil {
		return nil, refusal.Fail("документ для подписи не удалось свёрстать: "+err.Error(), err)
	}
	signed, err := sign.Sign(stamped, signer, sign.Options{Time: now, Reason: "Подписание документа", Name: info.Owner})
	if err != nil {
		return nil, refusal.Conflictf("документ не подписан: " + Words(err))
	}
	key, sum, err := s.Blobs.Put(ctx, signed, "application/pdf")
	if err != nil {
		return nil, refusal.Fail("подписанный документ не удалось сохранить; повторите", fmt.Errorf("store signed pdf of %s: %w", id, err))
	}
	from, to := info.ValidFrom, info.ValidTo
	// The service's own signature is valid by construction (Sign verified it); whether its
	// certificate is trusted is the same question as for anyone's.
	trust, trustWhy := s.verifier().CheckTrust(ctx, signer.Certificate(), signer.Chain(), now)
	return s.Store.Sign(ctx, cl.OrgID, id, registry.SignRequest{
		Document:  registry.SignedDocument{Key: key, SHA256: sum, Size: int64(len(signed))},
		Signatory: d.Signatory.Name,
		Signature: &registry.Signature{Kind: registry.SignatureServer, Key: key, SHA256: sum, Signer: info.Owner,
			Serial: info.Serial, ValidFrom: &from, ValidTo: &to, Verified: "valid", Trust: trustVerdict(trust, trustWhy)},
		Audit: registry.NewAuditEntry(cl.Actor, "sign", map[string]any{"sha256": sum, "serial": info.Serial, "owner": info.Owner}),
	})
}
