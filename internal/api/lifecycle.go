package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"orders/internal/blob"
	"orders/internal/layout"
	"orders/internal/order"
	"orders/internal/registry"
	"orders/internal/sign"
)

// moscow is the time zone of the date an order is registered on when the caller gives none:
// a clerk registering at 01:00 on 1 September expects 01.09, not 31.08 (UTC).
var moscow = func() *time.Location {
	if loc, err := time.LoadLocation("Europe/Moscow"); err == nil {
		return loc
	}
	return time.FixedZone("MSK", 3*3600)
}()

func auditEntry(c *gin.Context, action string, details any) *registry.AuditEntry {
	e := &registry.AuditEntry{Actor: who(c).actor, Action: action}
	if details != nil {
		e.Details, _ = json.Marshal(details)
	}
	return e
}

// searchText is the plain text of a draft as the archive searches it.
func searchText(d *order.Draft) string {
	doc, err := layout.Build(d, layout.Options{})
	if err != nil {
		return d.Title
	}
	return layout.NormalizeText(doc.PlainText())
}

type registerRequest struct {
	Journal string `json:"journal"`
	Date    string `json:"date"`
}

// register gives a draft the next number of a journal, freezes it and renders the final
// documents. The number is taken in the same transaction as the state change, so it is
// never lost or reused, also when the render afterwards fails.
func (s *Server) register(c *gin.Context) {
	id, ok := s.orderID(c)
	if !ok {
		return
	}
	var req registerRequest
	if !s.readJSON(c, &req) {
		return
	}
	if req.Journal == "" {
		draftProblem(c, order.Problems{{Path: "journal", Message: "empty"}})
		return
	}
	if req.Date == "" {
		req.Date = time.Now().In(moscow).Format(time.DateOnly)
	} else if _, err := time.Parse(time.DateOnly, req.Date); err != nil {
		draftProblem(c, order.Problems{{Path: "date", Message: "must be a date YYYY-MM-DD"}})
		return
	}
	audit := auditEntry(c, "register", nil)
	o, err := s.cfg.Store.RegisterOrder(c.Request.Context(), who(c).orgID, id, registry.RegisterRequest{
		Journal: req.Journal, Date: req.Date, Audit: audit,
		Build: func(o *registry.Order, number string, seq int) (registry.Registered, error) {
			audit.Details, _ = json.Marshal(map[string]any{"number": number, "date": req.Date, "journal": req.Journal, "seq": seq})
			return registeredDraft(o, number, req.Date)
		},
	})
	if errors.Is(err, registry.ErrInvalid) {
		draftProblem(c, order.Problems{{Path: "journal", Message: fmt.Sprintf("no journal %q", req.Journal)}})
		return
	}
	if err != nil {
		s.storeError(c, err)
		return
	}
	s.publish(c, o, "register")
	c.JSON(http.StatusOK, view(o))
}

// readJSON decodes a small request object strictly; it has answered when ok is false.
func (s *Server) readJSON(c *gin.Context, v any) bool {
	data, ok := s.readBody(c)
	if !ok {
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		problem(c, http.StatusBadRequest, "malformed request: "+err.Error())
		return false
	}
	return true
}

type cancelRequest struct {
	Reason string `json:"reason"`
}

func (s *Server) cancel(c *gin.Context) {
	id, ok := s.orderID(c)
	if !ok {
		return
	}
	var req cancelRequest
	if !s.readJSON(c, &req) {
		return
	}
	if strings.TrimSpace(req.Reason) == "" {
		draftProblem(c, order.Problems{{Path: "reason", Message: "empty: say why the order is cancelled"}})
		return
	}
	o, err := s.cfg.Store.Cancel(c.Request.Context(), who(c).orgID, id, req.Reason, auditEntry(c, "cancel", map[string]string{"reason": req.Reason}))
	if err != nil {
		s.storeError(c, err)
		return
	}
	c.JSON(http.StatusOK, view(o))
}

// signingMaterial is what an organization stores to sign on the server: a PKCS#12 or PEM
// container and its password. It lives in the registry's opaque Signing column.
type signingMaterial struct {
	Data     []byte `json:"data"`
	Password string `json:"password"`
}

type signingUpload struct {
	// Data is the PKCS#12 (.p12/.pfx) or PEM container, base64 in JSON.
	Data     []byte `json:"data"`
	Password string `json:"password"`
}

// putSigning stores an organization's signing certificate after checking it loads.
func (s *Server) putSigning(c *gin.Context) {
	id := c.Param("id")
	var req signingUpload
	if !s.readJSON(c, &req) {
		return
	}
	signer, err := sign.LoadSigner(req.Data, req.Password)
	if err != nil {
		draftProblem(c, order.Problems{{Path: "data", Message: err.Error()}})
		return
	}
	org, err := s.cfg.Store.GetOrganization(c.Request.Context(), id)
	if err != nil {
		s.storeError(c, err)
		return
	}
	if org.Signing, err = s.sealSigning(org.ID, signingMaterial{Data: req.Data, Password: req.Password}); err != nil {
		problem(c, http.StatusInternalServerError, "protecting the signing key: "+err.Error())
		return
	}
	if err := s.cfg.Store.PutOrganization(c.Request.Context(), org); err != nil {
		s.storeError(c, err)
		return
	}
	c.JSON(http.StatusOK, certView(signer.Info()))
}

func certView(ci sign.CertInfo) gin.H {
	return gin.H{"serial": ci.Serial, "owner": ci.Owner, "issuer": ci.Issuer,
		"valid_from": ci.ValidFrom, "valid_to": ci.ValidTo}
}

// signOrder draws the visible signature mark into the final PDF, signs it with the
// organization's key and records the signed document, its signature and the audit entry
// in one transaction.
func (s *Server) signOrder(c *gin.Context) {
	o, ok := s.loadOrder(c)
	if !ok {
		return
	}
	id := o.ID
	ctx := c.Request.Context()
	if o.State != registry.StateRegistered {
		writeProblem(c, Problem{Status: http.StatusConflict, State: o.State,
			Detail: "only a registered order can be signed; this one is " + string(o.State)})
		return
	}
	org, err := s.cfg.Store.GetOrganization(ctx, o.OrgID)
	if err != nil {
		s.storeError(c, err)
		return
	}
	if len(org.Signing) == 0 {
		problem(c, http.StatusConflict, "the organization has no signing certificate: PUT /api/v1/organizations/"+o.OrgID+"/signing")
		return
	}
	mat, err := s.openSigning(org.ID, org.Signing)
	if err != nil {
		s.log.Error("signing material", "org", org.ID, "err", err)
		problem(c, http.StatusConflict, "the organization's signing certificate cannot be used: "+err.Error())
		return
	}
	signer, err := sign.LoadSigner(mat.Data, mat.Password)
	if err != nil {
		problem(c, http.StatusConflict, "the organization's signing certificate cannot be used: "+err.Error())
		return
	}
	d, err := order.Decode(o.Draft)
	if err != nil {
		problem(c, http.StatusInternalServerError, "stored draft is invalid: "+err.Error())
		return
	}
	info := signer.Info()
	now := time.Now()
	stamped, err := s.cfg.Renderer.StampedPDF(d, o.CreatedAt, &layout.Stamp{
		Serial: info.Serial, Owner: info.Owner, ValidFrom: info.ValidFrom, ValidTo: info.ValidTo})
	if err != nil {
		problem(c, http.StatusInternalServerError, "render: "+err.Error())
		return
	}
	signed, err := sign.Sign(stamped, signer, sign.Options{Time: now, Reason: "Подписание документа", Name: info.Owner})
	if err != nil {
		problem(c, http.StatusConflict, "signing: "+err.Error())
		return
	}
	key, sum, err := s.cfg.Blobs.Put(ctx, signed, "application/pdf")
	if err != nil {
		s.log.Error("store signed pdf", "order", id, "err", err)
		problem(c, http.StatusInternalServerError, "storing the signed document failed; try again")
		return
	}
	from, to := info.ValidFrom, info.ValidTo
	o, err = s.cfg.Store.Sign(ctx, who(c).orgID, id, registry.SignRequest{
		Document:  registry.SignedDocument{Key: key, SHA256: sum, Size: int64(len(signed))},
		Signatory: d.Signatory.Name,
		Signature: &registry.Signature{Kind: registry.SignatureServer, Key: key, SHA256: sum, Signer: info.Owner,
			Serial: info.Serial, ValidFrom: &from, ValidTo: &to, Verified: "valid"},
		Audit: auditEntry(c, "sign", map[string]any{"sha256": sum, "serial": info.Serial, "owner": info.Owner}),
	})
	if err != nil {
		s.storeError(c, err)
		return
	}
	c.JSON(http.StatusOK, view(o))
}

// addSignature takes a signature made elsewhere: a signed PDF (form field "pdf") or a
// detached CMS signature of the order's PDF (form field "sig"). It records what could be
// checked and says plainly what could not; an invalid signature is refused.
func (s *Server) addSignature(c *gin.Context) {
	id, ok := s.orderID(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, s.cfg.MaxBody)
	if err := c.Request.ParseMultipartForm(s.cfg.MaxBody); err != nil {
		problem(c, http.StatusBadRequest, "send multipart/form-data with a file field «pdf» or «sig»: "+err.Error())
		return
	}
	o, err := s.cfg.Store.GetOrder(ctx, who(c).orgID, id)
	if err != nil {
		s.storeError(c, err)
		return
	}
	if o.State != registry.StateRegistered && o.State != registry.StateSigned {
		writeProblem(c, Problem{Status: http.StatusConflict, State: o.State,
			Detail: "signatures are taken for registered orders; this one is " + string(o.State)})
		return
	}
	kind, field := registry.SignatureExternalPDF, "pdf"
	if _, _, err := c.Request.FormFile("pdf"); err != nil {
		kind, field = registry.SignatureDetachedCMS, "sig"
	}
	f, _, err := c.Request.FormFile(field)
	if err != nil {
		problem(c, http.StatusBadRequest, "no file field «pdf» or «sig»")
		return
	}
	data, err := io.ReadAll(f)
	f.Close()
	if err != nil {
		problem(c, http.StatusBadRequest, err.Error())
		return
	}

	var res sign.Result
	var signedPDF []byte
	if kind == registry.SignatureExternalPDF {
		res, err = sign.VerifyPDF(data)
		signedPDF = data
	} else {
		// A detached signature covers the document as stored: the signed PDF once there is one.
		docKey, docSum := o.PDFKey, o.PDFSHA256
		if o.SignedKey != "" {
			docKey, docSum = o.SignedKey, o.SignedSHA256
		}
		if docKey == "" {
			problem(c, http.StatusConflict, "the order has no rendered PDF yet to check a signature against")
			return
		}
		doc, gerr := s.readVerified(ctx, docKey, docSum)
		if gerr != nil {
			s.integrityError(c, o.ID, gerr)
			return
		}
		res, err = sign.VerifyDetached(doc, data)
		if err == nil && o.SignedKey == "" {
			signedPDF = doc
		}
	}
	if err != nil {
		draftProblem(c, order.Problems{{Path: field, Message: err.Error()}})
		return
	}
	if res.Status == sign.Invalid {
		writeProblem(c, Problem{Status: http.StatusUnprocessableEntity, Detail: "подпись недействительна: " + res.Reason})
		return
	}
	verified := "valid"
	if res.Status == sign.NotVerified {
		verified = "not verified: " + res.Reason
	}
	key, sum, err := s.cfg.Blobs.Put(ctx, data, "application/octet-stream")
	if err != nil {
		problem(c, http.StatusInternalServerError, "storing the signature failed; try again")
		return
	}
	sig := &registry.Signature{Kind: kind, Key: key, SHA256: sum, Signer: res.Signer.Owner, Serial: res.Signer.Serial, Verified: verified}
	if !res.Signer.ValidFrom.IsZero() {
		from, to := res.Signer.ValidFrom, res.Signer.ValidTo
		sig.ValidFrom, sig.ValidTo = &from, &to
	}
	details := map[string]any{"kind": kind, "sha256": sum, "verified": verified, "serial": res.Signer.Serial}
	if o.State == registry.StateRegistered && signedPDF != nil {
		pdfKey, pdfSum, err := s.cfg.Blobs.Put(ctx, signedPDF, "application/pdf")
		if err != nil {
			problem(c, http.StatusInternalServerError, "storing the signed document failed; try again")
			return
		}
		if _, err := s.cfg.Store.Sign(ctx, who(c).orgID, id, registry.SignRequest{
			Document:  registry.SignedDocument{Key: pdfKey, SHA256: pdfSum, Size: int64(len(signedPDF))},
			Signatory: res.Signer.Owner, Signature: sig, Audit: auditEntry(c, "sign-external", details),
		}); err != nil {
			s.storeError(c, err)
			return
		}
	} else {
		if err := s.cfg.Store.AddSignature(ctx, who(c).orgID, &registry.Signature{OrderID: id, Kind: sig.Kind, Key: sig.Key,
			SHA256: sig.SHA256, Signer: sig.Signer, Serial: sig.Serial, ValidFrom: sig.ValidFrom, ValidTo: sig.ValidTo,
			Verified: sig.Verified}); err != nil {
			s.storeError(c, err)
			return
		}
		_ = s.cfg.Store.AppendAudit(ctx, withOrder(auditEntry(c, "add-signature", details), o))
	}
	c.JSON(http.StatusCreated, gin.H{"kind": kind, "status": res.Status, "reason": res.Reason,
		"signer": certView(res.Signer), "verified": verified, "sha256": sum})
}

// loadOrder reads the order named in the path, as the caller may see it; it has answered
// when ok is false.
func (s *Server) loadOrder(c *gin.Context) (*registry.Order, bool) {
	id, ok := s.orderID(c)
	if !ok {
		return nil, false
	}
	o, err := s.cfg.Store.GetOrder(c.Request.Context(), who(c).orgID, id)
	if err != nil {
		s.storeError(c, err)
		return nil, false
	}
	return o, true
}

func withOrder(e *registry.AuditEntry, o *registry.Order) *registry.AuditEntry {
	e.OrgID = o.OrgID
	id := o.ID
	e.OrderID = &id
	return e
}

func (s *Server) listSignatures(c *gin.Context) {
	id, ok := s.orderID(c)
	if !ok {
		return
	}
	list, err := s.cfg.Store.ListSignatures(c.Request.Context(), who(c).orgID, id)
	if err != nil {
		s.storeError(c, err)
		return
	}
	out := make([]gin.H, len(list))
	for i, sg := range list {
		out[i] = gin.H{"id": sg.ID, "kind": sg.Kind, "sha256": sg.SHA256, "signer": sg.Signer, "serial": sg.Serial,
			"valid_from": sg.ValidFrom, "valid_to": sg.ValidTo, "verified": sg.Verified, "created_at": sg.CreatedAt}
	}
	c.JSON(http.StatusOK, gin.H{"signatures": out})
}

// readVerified reads a stored document and checks it against the SHA-256 the registry
// recorded, besides the store's own content-address check.
func (s *Server) readVerified(ctx context.Context, key, sum string) ([]byte, error) {
	data, err := s.cfg.Blobs.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	if err := blob.Verify(data, sum); err != nil {
		return nil, err
	}
	return data, nil
}

// integrityError answers a document that cannot be read intact: never served, always
// counted and logged.
func (s *Server) integrityError(c *gin.Context, id uuid.UUID, err error) {
	if errors.Is(err, blob.ErrCorrupt) {
		s.integrity.Inc()
		s.log.Error("stored document does not match its SHA-256", "order", id, "err", err)
		problem(c, http.StatusInternalServerError, "the stored document does not match its recorded SHA-256; it is not served")
		return
	}
	s.log.Error("reading document", "order", id, "err", err)
	problem(c, http.StatusInternalServerError, "the stored document cannot be read; see the server log")
}

// signedPDF returns exactly the signed bytes, checked against the SHA-256 recorded at
// signing, and records the download in the audit trail.
func (s *Server) signedPDF(c *gin.Context) {
	o, ok := s.loadOrder(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	if o.SignedKey == "" {
		writeProblem(c, Problem{Status: http.StatusConflict, State: o.State, Detail: "the order is not signed"})
		return
	}
	data, err := s.readVerified(ctx, o.SignedKey, o.SignedSHA256)
	if err != nil {
		s.integrityError(c, o.ID, err)
		return
	}
	// The bytes are chosen and about to go out: a client that hangs up now may still have
	// them, so its going away must not cancel the record of the download.
	if err := s.cfg.Store.AppendAudit(context.WithoutCancel(ctx), withOrder(auditEntry(c, "download-signed", map[string]string{"sha256": o.SignedSHA256}), o)); err != nil {
		s.storeError(c, err)
		return
	}
	c.Header("ETag", `"`+o.SignedSHA256+`"`)
	c.Header("Content-Disposition", contentDisposition(strings.TrimSuffix(fileName(o, "pdf"), ".pdf")+" (подписан).pdf"))
	c.Data(http.StatusOK, "application/pdf", data)
}

type ackRequest struct {
	Person string `json:"person"`
	Date   string `json:"date"`
}

// recordAck records that a person of the acknowledgement list has read the order, then
// renders it again so the Лист ознакомления shows the date.
func (s *Server) recordAck(c *gin.Context) {
	o, ok := s.loadOrder(c)
	if !ok {
		return
	}
	id := o.ID
	var req ackRequest
	if !s.readJSON(c, &req) {
		return
	}
	ctx := c.Request.Context()
	people := ackPeople(o)
	if !containsPerson(people, req.Person) {
		draftProblem(c, order.Problems{{Path: "person", Message: fmt.Sprintf("%q is not in the acknowledgement list of this order", req.Person)}})
		return
	}
	readAt := time.Now().In(moscow)
	if req.Date != "" {
		var err error
		if readAt, err = time.Parse(time.DateOnly, req.Date); err != nil {
			draftProblem(c, order.Problems{{Path: "date", Message: "must be a date YYYY-MM-DD"}})
			return
		}
	}
	err := s.cfg.Store.RecordAck(ctx, who(c).orgID, &registry.Ack{OrderID: id, Person: req.Person,
		ReadAt: time.Date(readAt.Year(), readAt.Month(), readAt.Day(), 0, 0, 0, 0, time.UTC), RecordedBy: who(c).actor})
	if err != nil {
		s.storeError(c, err)
		return
	}
	_ = s.cfg.Store.AppendAudit(ctx, withOrder(auditEntry(c, "acknowledge", map[string]string{"person": req.Person, "date": readAt.Format(time.DateOnly)}), o))
	if o2, err := s.cfg.Store.SetStatus(ctx, who(c).orgID, id, []registry.Status{registry.StatusRendered, registry.StatusFailed}, registry.StatusQueued); err == nil {
		s.publish(c, o2, "acknowledgement")
	}
	s.listAcks(c)
}

func ackPeople(o *registry.Order) []string {
	var d order.Draft
	if json.Unmarshal(o.Draft, &d) != nil || d.Acknowledgement == nil {
		return nil
	}
	names := make([]string, len(d.Acknowledgement.People))
	for i, p := range d.Acknowledgement.People {
		names[i] = p.Name
	}
	return names
}

func containsPerson(people []string, name string) bool {
	for _, p := range people {
		if strings.TrimSpace(p) == strings.TrimSpace(name) && name != "" {
			return true
		}
	}
	return false
}

// listAcks says who has read the order and who has not yet.
func (s *Server) listAcks(c *gin.Context) {
	o, ok := s.loadOrder(c)
	if !ok {
		return
	}
	id := o.ID
	ctx := c.Request.Context()
	acks, err := s.cfg.Store.ListAcks(ctx, who(c).orgID, id)
	if err != nil {
		s.storeError(c, err)
		return
	}
	read := map[string]registry.Ack{}
	for _, a := range acks {
		read[a.Person] = a
	}
	readOut, pending := []gin.H{}, []string{}
	for _, p := range ackPeople(o) {
		if a, ok := read[p]; ok {
			readOut = append(readOut, gin.H{"person": p, "date": a.ReadAt.Format(time.DateOnly), "recorded_by": a.RecordedBy, "recorded_at": a.RecordedAt})
		} else {
			pending = append(pending, p)
		}
	}
	c.JSON(http.StatusOK, gin.H{"read": readOut, "pending": pending})
}

var journalIDRe = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`)

type journalBody struct {
	Name   string `json:"name"`
	Format string `json:"format"`
	// Starts sets the next number of given years: {"2022": 1355}.
	Starts map[string]int `json:"starts,omitempty"`
}

func (s *Server) putJournal(c *gin.Context) {
	org, id := who(c).orgID, c.Param("journal")
	if org == "" {
		org = c.Query("organization")
		if org == "" {
			problem(c, http.StatusBadRequest, "organization: required with an admin token (?organization=…)")
			return
		}
	}
	var body journalBody
	if !s.readJSON(c, &body) {
		return
	}
	var ps order.Problems
	if !journalIDRe.MatchString(id) {
		ps = append(ps, order.Problem{Path: "id", Message: "1–32 of a-z, 0-9, '-', '_'"})
	}
	if strings.TrimSpace(body.Name) == "" {
		ps = append(ps, order.Problem{Path: "name", Message: "empty"})
	}
	if err := registry.ValidateNumberFormat(body.Format); err != nil {
		ps = append(ps, order.Problem{Path: "format", Message: err.Error()})
	}
	starts := map[int]int{}
	for y, n := range body.Starts {
		var year int
		if _, err := fmt.Sscanf(y, "%d", &year); err != nil || year < 1990 || year > 2200 || n < 1 {
			ps = append(ps, order.Problem{Path: "starts." + y, Message: "a year and a first number ≥ 1"})
			continue
		}
		starts[year] = n
	}
	if len(ps) > 0 {
		draftProblem(c, ps)
		return
	}
	ctx := c.Request.Context()
	j := &registry.Journal{OrgID: org, ID: id, Name: body.Name, Format: body.Format}
	if err := s.cfg.Store.PutJournal(ctx, j); err != nil {
		s.storeError(c, err)
		return
	}
	for year, next := range starts {
		if err := s.cfg.Store.SetJournalStart(ctx, org, id, registry.JournalStart{Year: year, Next: next}); err != nil {
			if errors.Is(err, registry.ErrConflict) {
				problem(c, http.StatusConflict, fmt.Sprintf("starts.%d: numbers from %d were already issued that year", year, next))
				return
			}
			s.storeError(c, err)
			return
		}
	}
	j, err := s.cfg.Store.GetJournal(ctx, org, id)
	if err != nil {
		s.storeError(c, err)
		return
	}
	c.JSON(http.StatusOK, j)
}

func (s *Server) listJournals(c *gin.Context) {
	org := who(c).orgID
	if org == "" {
		org = c.Query("organization")
	}
	list, err := s.cfg.Store.ListJournals(c.Request.Context(), org)
	if err != nil {
		s.storeError(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"journals": list})
}
