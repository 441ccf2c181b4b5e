package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"orders/internal/blob"
	"orders/internal/layout"
	"orders/internal/order"
	"orders/internal/printed"
	"orders/internal/registry"
	"orders/internal/ru"
	"orders/internal/sign"
	"orders/internal/strictjson"
)

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
		draftProblem(c, order.Problems{{Path: "journal", Message: "не указан журнал, в котором регистрировать приказ"}})
		return
	}
	dateGiven := req.Date != ""
	if req.Date == "" {
		req.Date = time.Now().In(ru.Moscow).Format(time.DateOnly)
	} else if _, err := time.Parse(time.DateOnly, req.Date); err != nil {
		draftProblem(c, order.Problems{{Path: "date", Message: fmt.Sprintf("не дата: «%s»; нужна дата в виде ГГГГ-ММ-ДД", req.Date)}})
		return
	}
	// With an Idempotency-Key, a retry whose first answer was lost gets the number it was
	// given instead of «already registered».
	key := c.GetHeader("Idempotency-Key")
	if len(key) > registry.MaxRegisterKey {
		problem(c, http.StatusBadRequest, fmt.Sprintf("Idempotency-Key: длиннее %d знаков", registry.MaxRegisterKey))
		return
	}
	var replayed bool
	audit := auditEntry(c, "register", nil)
	o, err := s.cfg.Store.RegisterOrder(c.Request.Context(), who(c).orgID, id, registry.RegisterRequest{
		Journal: req.Journal, Date: req.Date, Audit: audit, Key: key, Replayed: &replayed,
		Build: func(o *registry.Order, number string, seq int) (registry.Registered, error) {
			audit.Details, _ = json.Marshal(map[string]any{"number": number, "date": req.Date, "journal": req.Journal, "seq": seq})
			return registeredDraft(o, number, req.Date)
		},
	})
	if errors.Is(err, registry.ErrInvalid) {
		draftProblem(c, order.Problems{{Path: "journal", Message: fmt.Sprintf("журнала «%s» нет у этой организации", req.Journal)}})
		return
	}
	if err != nil {
		s.storeError(c, err)
		return
	}
	if replayed && (o.Journal != req.Journal || dateGiven && o.Date != req.Date) {
		// The key names one request: the same key with another journal or date is not a
		// repeat of it, and its answer must not look like that request succeeded.
		writeProblem(c, Problem{Status: http.StatusConflict, State: o.State, Detail: fmt.Sprintf(
			"Idempotency-Key: с этим ключом приказ уже зарегистрирован в журнале «%s» датой %s под № %s; запрос с другими журналом или датой — не повтор того запроса",
			o.Journal, o.Date, o.Number)})
		return
	}
	if replayed {
		c.Header("Idempotent-Replayed", "true")
		// As for POST /orders: if the first attempt died before its publish, this closes
		// the gap sooner than the sweeper; the job id makes a duplicate harmless.
		if o.Status == registry.StatusQueued {
			s.publish(c, o, "register")
		}
		c.JSON(http.StatusOK, view(o))
		return
	}
	s.publish(c, o, "register")
	c.JSON(http.StatusOK, view(o))
}

// readJSON decodes a small request object as strictly as a draft (strictjson: no unknown or
// repeated names, nothing after the object, UTF-8 only); it has answered when ok is false.
func (s *Server) readJSON(c *gin.Context, v any) bool {
	data, ok := s.readBody(c)
	if !ok {
		return false
	}
	if err := strictjson.Decode(data, v); err != nil {
		badJSON(c, err)
		return false
	}
	return true
}

// badJSON answers a body that strictjson refused: 400, with the place when there is one.
func badJSON(c *gin.Context, err error) {
	p := Problem{Status: http.StatusBadRequest, Detail: "запрос не разобран: " + err.Error()}
	if e, ok := err.(*strictjson.Error); ok && e.Path != "" {
		p.Errors = []order.Problem{{Path: e.Path, Message: e.Message}}
	}
	writeProblem(c, p)
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
		draftProblem(c, order.Problems{{Path: "reason", Message: "не указана причина отмены: напишите, почему приказ отменяется"}})
		return
	}
	o, err := s.cfg.Store.Cancel(c.Request.Context(), who(c).orgID, id, registry.CancelRequest{
		Reason: req.Reason, By: who(c).display,
		Audit: auditEntry(c, "cancel", map[string]string{"reason": req.Reason})})
	if err != nil {
		s.storeError(c, err)
		return
	}
	// The working copy is rendered again with the cancellation mark; signed.pdf stays as signed.
	s.publish(c, o, "cancel")
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
		path, msg := signingLoadProblem(err)
		writeProblem(c, Problem{Status: http.StatusUnprocessableEntity, Detail: msg,
			Errors: []order.Problem{{Path: path, Message: msg}}})
		return
	}
	org, err := s.cfg.Store.GetOrganization(c.Request.Context(), id)
	if err != nil {
		s.storeError(c, err)
		return
	}
	sealed, err := s.sealSigning(org.ID, signingMaterial{Data: req.Data, Password: req.Password})
	if err != nil {
		problem(c, http.StatusInternalServerError, "ключ подписи не удалось зашифровать для хранения: "+err.Error())
		return
	}
	// Only the signing material is written: a whole-organization write of what was read
	// above would undo a profile stored meanwhile, or bring back a deleted organization.
	if err := s.cfg.Store.SetOrganizationSigning(c.Request.Context(), org.ID, sealed); err != nil {
		s.storeError(c, err)
		return
	}
	c.JSON(http.StatusOK, certView(signer.Info()))
}

// signingLoadProblem says in plain words what is wrong with an uploaded certificate
// container, and which field to fix.
func signingLoadProblem(err error) (path, msg string) {
	if errors.Is(err, sign.ErrWrongPassword) {
		return "password", signError(err)
	}
	return "data", signError(err)
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
			Detail: "подписать можно только зарегистрированный приказ, а этот " + word(stateWords, o.State)})
		return
	}
	if o.Imported {
		// Signing here stamps and signs a new render; an imported order's document is its upload.
		problem(c, http.StatusConflict, "приказ импортирован: сервис не подписывает его своим ключом; подпись к загруженному PDF добавляется через POST /api/v1/orders/{id}/signatures")
		return
	}
	org, err := s.cfg.Store.GetOrganization(ctx, o.OrgID)
	if err != nil {
		s.storeError(c, err)
		return
	}
	if len(org.Signing) == 0 {
		problem(c, http.StatusConflict, "у организации «"+o.OrgID+"» нет сертификата подписи: его загружает администратор (PUT /api/v1/organizations/"+o.OrgID+"/signing)")
		return
	}
	mat, err := s.openSigning(org.ID, org.Signing)
	if err != nil {
		s.log.Error("signing material", "org", org.ID, "err", err)
		problem(c, http.StatusConflict, "сертификат подписи организации нельзя использовать: "+err.Error())
		return
	}
	signer, err := sign.LoadSigner(mat.Data, mat.Password)
	if err != nil {
		problem(c, http.StatusConflict, "сертификат подписи организации нельзя использовать: "+signError(err))
		return
	}
	// The copy to sign prints what the working copy prints: the same draft, acknowledgements
	// and marks, decided in one place.
	d, err := printed.Draft(ctx, s.cfg.Store, o)
	if err != nil {
		problem(c, http.StatusInternalServerError, "приказ не удаётся сформировать: "+err.Error())
		return
	}
	info := signer.Info()
	now := time.Now()
	stamped, err := s.cfg.Renderer.StampedPDF(d, o.CreatedAt, &layout.Stamp{
		Serial: info.Serial, Owner: info.Owner, ValidFrom: info.ValidFrom, ValidTo: info.ValidTo})
	if err != nil {
		problem(c, http.StatusInternalServerError, "документ для подписи не удалось свёрстать: "+err.Error())
		return
	}
	signed, err := sign.Sign(stamped, signer, sign.Options{Time: now, Reason: "Подписание документа", Name: info.Owner})
	if err != nil {
		problem(c, http.StatusConflict, "документ не подписан: "+signError(err))
		return
	}
	key, sum, err := s.cfg.Blobs.Put(ctx, signed, "application/pdf")
	if err != nil {
		s.log.Error("store signed pdf", "order", id, "err", err)
		problem(c, http.StatusInternalServerError, "подписанный документ не удалось сохранить; повторите")
		return
	}
	from, to := info.ValidFrom, info.ValidTo
	// The service's own signature is valid by construction (Sign verified it); whether its
	// certificate is trusted is the same question as for anyone's.
	trust, trustWhy := s.cfg.Verifier.CheckTrust(ctx, signer.Certificate(), signer.Chain(), now)
	o, err = s.cfg.Store.Sign(ctx, who(c).orgID, id, registry.SignRequest{
		Document:  registry.SignedDocument{Key: key, SHA256: sum, Size: int64(len(signed))},
		Signatory: d.Signatory.Name,
		Signature: &registry.Signature{Kind: registry.SignatureServer, Key: key, SHA256: sum, Signer: info.Owner,
			Serial: info.Serial, ValidFrom: &from, ValidTo: &to, Verified: "valid", Trust: trustVerdict(trust, trustWhy)},
		Audit: auditEntry(c, "sign", map[string]any{"sha256": sum, "serial": info.Serial, "owner": info.Owner}),
	})
	if err != nil {
		s.storeError(c, err)
		return
	}
	c.JSON(http.StatusOK, view(o))
}

// addSignature takes a signature made elsewhere: a signed PDF (form field "pdf") or a
// detached CMS signature (form field "sig") of the order's document as stored (the final
// PDF; the signed PDF once there is one). A signed PDF is accepted only when it is that
// document byte for byte plus an incremental update that a signature covers, so another
// order's signed PDF can never become this order's signed original. An invalid signature,
// or one over other bytes, is refused with a 422 that says why; a signature that could not
// be verified is kept and shown as such, and only a valid one moves a registered order to
// signed. The signature and its audit entry are written in one transaction.
func (s *Server) addSignature(c *gin.Context) {
	id, ok := s.orderID(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, s.cfg.MaxBody)
	if err := c.Request.ParseMultipartForm(s.cfg.MaxBody); err != nil {
		problem(c, http.StatusBadRequest, "пришлите multipart/form-data с файлом в поле «pdf» (подписанный PDF) или «sig» (открепленная подпись): "+err.Error())
		return
	}
	o, err := s.cfg.Store.GetOrder(ctx, who(c).orgID, id)
	if err != nil {
		s.storeError(c, err)
		return
	}
	if o.State != registry.StateRegistered && o.State != registry.StateSigned {
		writeProblem(c, Problem{Status: http.StatusConflict, State: o.State,
			Detail: "подписи принимаются для зарегистрированных и подписанных приказов, а этот " + word(stateWords, o.State)})
		return
	}
	kind, field := registry.SignatureExternalPDF, "pdf"
	if _, _, err := c.Request.FormFile("pdf"); err != nil {
		kind, field = registry.SignatureDetachedCMS, "sig"
	}
	f, _, err := c.Request.FormFile(field)
	if err != nil {
		problem(c, http.StatusBadRequest, "нет файла в поле «pdf» или «sig»")
		return
	}
	data, err := io.ReadAll(f)
	f.Close()
	if err != nil {
		problem(c, http.StatusBadRequest, "файл не прочитан: "+err.Error())
		return
	}

	// The document a signature must be over: as stored, the signed PDF once there is one.
	docKey, docSum := o.PDFKey, o.PDFSHA256
	if o.SignedKey != "" {
		docKey, docSum = o.SignedKey, o.SignedSHA256
	}
	if docKey == "" || (o.SignedKey == "" && o.Status != registry.StatusRendered) {
		writeProblem(c, Problem{Status: http.StatusConflict, Current: o.Status,
			Detail: "итоговый PDF приказа ещё не готов: подпись не с чем сверить; повторите, когда документ будет сформирован"})
		return
	}
	doc, err := s.readVerified(ctx, docKey, docSum)
	if err != nil {
		s.integrityError(c, o.ID, err)
		return
	}
	var res sign.Result
	if kind == registry.SignatureExternalPDF {
		res, err = s.cfg.Verifier.VerifySignedRevision(ctx, doc, data)
	} else {
		res, err = s.cfg.Verifier.VerifyDetached(ctx, doc, data)
	}
	var revErr *sign.RevisionError
	switch {
	case errors.As(err, &revErr):
		signatureProblem(c, field, "подписанный файл не является этим приказом: "+revErr.Reason+".")
		return
	case errors.Is(err, sign.ErrNoSignature):
		signatureProblem(c, field, "в файле нет электронной подписи.")
		return
	case errors.Is(err, sign.ErrMalformedSignature):
		signatureProblem(c, field, "файл не является подписью CMS/PKCS#7 (ожидается .sig в DER, PEM или base64).")
		return
	case err != nil:
		signatureProblem(c, field, "файл не проверен: "+err.Error())
		return
	case res.OtherDocument && kind == registry.SignatureDetachedCMS:
		// In a signed PDF a digest mismatch means the file changed after signing (the
		// revision check above already tied it to this order): that is an invalid signature.
		signatureProblem(c, field, "подписанный файл не является этим приказом: подпись сделана над другими байтами, чем хранимый PDF приказа. "+res.Reason)
		return
	case res.Status == sign.Invalid:
		signatureProblem(c, field, "подпись недействительна: "+res.Reason)
		return
	}
	verified, trust := signatureVerdict(res)
	key, sum, err := s.cfg.Blobs.Put(ctx, data, "application/octet-stream")
	if err != nil {
		problem(c, http.StatusInternalServerError, "подпись не сохранена (хранилище документов); повторите")
		return
	}
	sig := &registry.Signature{Kind: kind, Key: key, SHA256: sum, Signer: res.Signer.Owner, Serial: res.Signer.Serial,
		Verified: verified, Trust: trust}
	if !res.Signer.ValidFrom.IsZero() {
		from, to := res.Signer.ValidFrom, res.Signer.ValidTo
		sig.ValidFrom, sig.ValidTo = &from, &to
	}
	details := map[string]any{"kind": kind, "sha256": sum, "verified": verified, "trust": trust, "serial": res.Signer.Serial}
	state := o.State
	if o.State == registry.StateRegistered && res.Status == sign.Valid {
		signedPDF := doc // a detached signature of the stored PDF: that PDF is the signed original
		if kind == registry.SignatureExternalPDF {
			signedPDF = data
		}
		pdfKey, pdfSum, err := s.cfg.Blobs.Put(ctx, signedPDF, "application/pdf")
		if err != nil {
			problem(c, http.StatusInternalServerError, "подписанный документ не сохранён (хранилище документов); повторите")
			return
		}
		signed, err := s.cfg.Store.Sign(ctx, who(c).orgID, id, registry.SignRequest{
			Document:  registry.SignedDocument{Key: pdfKey, SHA256: pdfSum, Size: int64(len(signedPDF))},
			Signatory: res.Signer.Owner, Signature: sig, Audit: auditEntry(c, "sign-external", details),
		})
		if err != nil {
			s.storeError(c, err)
			return
		}
		state = signed.State
	} else {
		// Not verified (or an added signature of a signed order): kept and shown as such;
		// the order stays where it was.
		sig.OrderID = id
		if err := s.cfg.Store.AddSignature(ctx, who(c).orgID, sig, auditEntry(c, "add-signature", details)); err != nil {
			s.storeError(c, err)
			return
		}
	}
	c.JSON(http.StatusCreated, gin.H{"id": sig.ID, "kind": kind, "status": res.Status, "reason": res.Reason,
		"trust": res.Trust, "trust_reason": res.TrustReason, "verdict": res.Verdict(),
		"signer": certView(res.Signer), "verified": verified, "sha256": sum, "order_state": state})
}

// signatureProblem refuses an uploaded signature: a 422 whose detail and error name the
// form field.
func signatureProblem(c *gin.Context, field, msg string) {
	writeProblem(c, Problem{Status: http.StatusUnprocessableEntity, Detail: msg,
		Errors: []order.Problem{{Path: field, Message: msg}}})
}

// signatureVerdict is how the registry records res: the mathematics in Verified, the
// certificate chain in Trust (for a valid signature only).
func signatureVerdict(res sign.Result) (verified, trust string) {
	switch res.Status {
	case sign.Valid:
		return "valid", trustVerdict(res.Trust, res.TrustReason)
	case sign.Invalid:
		return "invalid: " + nonEmpty(res.Reason), ""
	}
	return "not verified: " + nonEmpty(res.Reason), ""
}

func trustVerdict(t sign.Trust, reason string) string {
	switch t {
	case sign.Trusted:
		return "trusted"
	case sign.Untrusted:
		return "untrusted: " + nonEmpty(reason)
	}
	return "not checked: " + nonEmpty(reason)
}

func nonEmpty(s string) string {
	if strings.TrimSpace(s) == "" {
		return "причина не указана"
	}
	return s
}

// signatureLabel is what a person reads about a recorded signature: trust is claimed only
// when the signature is valid and its chain leads to a trusted root.
func signatureLabel(verified, trust string) string {
	switch {
	case verified == "valid" && trust == "trusted":
		return "подпись верна, сертификат доверенный"
	case verified == "valid":
		return "подпись верна, сертификат не проверен"
	case strings.HasPrefix(verified, "invalid"):
		return "подпись неверна"
	}
	return "подпись не проверена"
}

// isLifecycle says err is a refusal because of the order's lifecycle state.
func isLifecycle(err error) bool {
	var le *registry.LifecycleError
	return errors.As(err, &le)
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
			"valid_from": sg.ValidFrom, "valid_to": sg.ValidTo, "verified": sg.Verified, "trust": sg.Trust,
			"verdict": signatureLabel(sg.Verified, sg.Trust), "created_at": sg.CreatedAt}
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
		problem(c, http.StatusInternalServerError, "сохранённый документ не совпадает со своей записанной SHA-256 (повреждён); он не выдаётся")
		return
	}
	s.log.Error("reading document", "order", id, "err", err)
	problem(c, http.StatusInternalServerError, "сохранённый документ не удалось прочитать; подробности записаны в журнал сервера")
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
		writeProblem(c, Problem{Status: http.StatusConflict, State: o.State, Detail: "приказ не подписан: подписанного документа нет, приказ " + word(stateWords, o.State)})
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
	// The signed bytes never change; a cancelled order's copy says so in its name and a header.
	mark := " (подписан)"
	if o.State == registry.StateCancelled {
		mark = " (подписан, отменён)"
		c.Header("X-Order-State", string(o.State))
	}
	c.Header("Content-Disposition", contentDisposition(downloadName(o, mark, "pdf")))
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
		draftProblem(c, order.Problems{{Path: "person", Message: fmt.Sprintf("«%s» нет в списке ознакомления этого приказа", req.Person)}})
		return
	}
	readAt := time.Now().In(ru.Moscow)
	if req.Date != "" {
		var err error
		if readAt, err = time.Parse(time.DateOnly, req.Date); err != nil {
			draftProblem(c, order.Problems{{Path: "date", Message: fmt.Sprintf("не дата: «%s»; нужна дата в виде ГГГГ-ММ-ДД", req.Date)}})
			return
		}
	}
	// The record, its audit entry and the new render of the Лист ознакомления are one
	// transaction; a render already under way is refused when it finishes (RenderKey).
	o, err := s.cfg.Store.RecordAck(ctx, who(c).orgID, &registry.Ack{OrderID: id, Person: req.Person,
		ReadAt: time.Date(readAt.Year(), readAt.Month(), readAt.Day(), 0, 0, 0, 0, time.UTC), RecordedBy: who(c).actor},
		auditEntry(c, "acknowledge", map[string]string{"person": req.Person, "date": readAt.Format(time.DateOnly)}))
	if err != nil {
		s.ackError(c, id, req.Person, err)
		return
	}
	if o.Status == registry.StatusQueued {
		s.publish(c, o, "acknowledgement")
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
			problem(c, http.StatusBadRequest, msgAdminOrg)
			return
		}
	}
	var body journalBody
	if !s.readJSON(c, &body) {
		return
	}
	var ps order.Problems
	if !journalIDRe.MatchString(id) {
		ps = append(ps, order.Problem{Path: "id", Message: fmt.Sprintf("идентификатор журнала «%s»: от 1 до 32 знаков из a-z, 0-9, «-» и «_», первый — буква или цифра", id)})
	}
	if strings.TrimSpace(body.Name) == "" {
		ps = append(ps, order.Problem{Path: "name", Message: "не заполнено: назовите журнал, например «по основной деятельности»"})
	}
	if err := registry.ValidateNumberFormat(body.Format); err != nil {
		ps = append(ps, order.Problem{Path: "format", Message: numberFormatError(body.Format)})
	}
	var starts []registry.JournalStart
	for y, n := range body.Starts {
		var year int
		if _, err := fmt.Sscanf(y, "%d", &year); err != nil || year < 1990 || year > 2200 || n < 1 {
			ps = append(ps, order.Problem{Path: "starts." + y, Message: fmt.Sprintf("нужны год (1990–2200) и первый номер не меньше 1, а не «%s»: %d", y, n)})
			continue
		}
		if slices.ContainsFunc(starts, func(s registry.JournalStart) bool { return s.Year == year }) {
			ps = append(ps, order.Problem{Path: "starts." + y, Message: fmt.Sprintf("%d год указан дважды", year)})
			continue
		}
		starts = append(starts, registry.JournalStart{Year: year, Next: n})
	}
	if len(ps) > 0 {
		draftProblem(c, ps)
		return
	}
	ctx := c.Request.Context()
	// The journal and its starts are one transaction: a refused start leaves the name, the
	// format and every other year as they were (issue 12: a 409 that kept the new format).
	j := &registry.Journal{OrgID: org, ID: id, Name: body.Name, Format: body.Format}
	var se *registry.JournalStartError
	if err := s.cfg.Store.PutJournalWithStarts(ctx, j, starts); errors.As(err, &se) {
		problem(c, http.StatusConflict, fmt.Sprintf("starts.%d: в %d году уже выдан номер %d; начать нумерацию с %d нельзя, нужен номер больше %d. Журнал не изменён",
			se.Year, se.Year, se.Last, se.Next, se.Last))
		return
	} else if err != nil {
		s.storeError(c, err)
		return
	}
	j, err := s.cfg.Store.GetJournal(ctx, org, id)
	if err != nil {
		s.storeError(c, err)
		return
	}
	c.JSON(http.StatusOK, journalOf(j))
}

// journalView is a journal as the API shows it: snake_case like every other resource.
type journalView struct {
	Organization string            `json:"organization"`
	ID           string            `json:"id"`
	Name         string            `json:"name"`
	Format       string            `json:"format"`
	CreatedAt    time.Time         `json:"created_at"`
	UpdatedAt    time.Time         `json:"updated_at"`
	Years        []journalYearView `json:"years"`
}

// journalYearView: the number a journal issues next in a year.
type journalYearView struct {
	Year int `json:"year"`
	Next int `json:"next"`
}

func journalOf(j *registry.Journal) journalView {
	v := journalView{Organization: j.OrgID, ID: j.ID, Name: j.Name, Format: j.Format,
		CreatedAt: j.CreatedAt, UpdatedAt: j.UpdatedAt, Years: []journalYearView{}}
	for _, y := range j.Years {
		v.Years = append(v.Years, journalYearView{Year: y.Year, Next: y.Next})
	}
	return v
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
	views := make([]journalView, len(list))
	for i := range list {
		views[i] = journalOf(&list[i])
	}
	c.JSON(http.StatusOK, gin.H{"journals": views})
}
