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
	"orders/internal/registry"
	"orders/internal/ru"
	"orders/internal/sign"
	"orders/internal/signing"
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
		req.Date = ru.Today()
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

type signingUpload struct {
	// Data is the PKCS#12 (.p12/.pfx) or PEM container, base64 in JSON.
	Data     []byte `json:"data"`
	Password string `json:"password"`
}

// putSigning stores an organization's signing certificate after checking it loads.
func (s *Server) putSigning(c *gin.Context) {
	var req signingUpload
	if !s.readJSON(c, &req) {
		return
	}
	info, err := s.signing.SetKey(c.Request.Context(), c.Param("id"), signing.Material{Data: req.Data, Password: req.Password})
	if err != nil {
		s.serviceError(c, err)
		return
	}
	c.JSON(http.StatusOK, certView(info))
}

func certView(ci sign.CertInfo) gin.H {
	return gin.H{"serial": ci.Serial, "owner": ci.Owner, "issuer": ci.Issuer,
		"valid_from": ci.ValidFrom, "valid_to": ci.ValidTo}
}

// signingCaller is the caller as the services see it.
func signingCaller(c *gin.Context) signing.Caller {
	return signing.Caller{OrgID: who(c).orgID, Actor: who(c).actor}
}

// signOrder signs a registered order with its organization's key (signing.Service.Sign).
func (s *Server) signOrder(c *gin.Context) {
	id, ok := s.orderID(c)
	if !ok {
		return
	}
	o, err := s.signing.Sign(c.Request.Context(), signingCaller(c), id)
	if err != nil {
		s.serviceError(c, err)
		return
	}
	c.JSON(http.StatusOK, view(o))
}

// addSignature takes a signature made elsewhere: a signed PDF (form field "pdf") or a
// detached CMS signature (form field "sig") of the order's document as stored; what is
// accepted and what it does to the order is signing.Service.AddSignature's.
func (s *Server) addSignature(c *gin.Context) {
	id, ok := s.orderID(c)
	if !ok {
		return
	}
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, s.cfg.MaxBody)
	if err := c.Request.ParseMultipartForm(s.cfg.MaxBody); err != nil {
		problem(c, http.StatusBadRequest, "пришлите multipart/form-data с файлом в поле «pdf» (подписанный PDF) или «sig» (открепленная подпись): "+err.Error())
		return
	}
	ext := signing.External{Kind: registry.SignatureExternalPDF, Field: "pdf"}
	if _, _, err := c.Request.FormFile("pdf"); err != nil {
		ext.Kind, ext.Field = registry.SignatureDetachedCMS, "sig"
	}
	f, _, err := c.Request.FormFile(ext.Field)
	if err != nil {
		problem(c, http.StatusBadRequest, "нет файла в поле «pdf» или «sig»")
		return
	}
	ext.Data, err = io.ReadAll(f)
	f.Close()
	if err != nil {
		problem(c, http.StatusBadRequest, "файл не прочитан: "+err.Error())
		return
	}
	a, err := s.signing.AddSignature(c.Request.Context(), signingCaller(c), id, ext)
	if err != nil {
		s.serviceError(c, err)
		return
	}
	res, sig := a.Result, a.Signature
	c.JSON(http.StatusCreated, gin.H{"id": sig.ID, "kind": sig.Kind, "status": res.Status, "reason": res.Reason,
		"trust": res.Trust, "trust_reason": res.TrustReason, "verdict": res.Verdict(),
		"signer": certView(res.Signer), "verified": sig.Verified, "sha256": sig.SHA256, "order_state": a.State})
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
			"verdict": signing.Label(sg.Verified, sg.Trust), "created_at": sg.CreatedAt}
	}
	c.JSON(http.StatusOK, gin.H{"signatures": out})
}

// readVerified reads a stored document and checks it against the SHA-256 the registry
// recorded, besides the store's own content-address check.
func (s *Server) readVerified(ctx context.Context, key, sum string) ([]byte, error) {
	return blob.GetVerified(ctx, s.cfg.Blobs, key, sum)
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
	c.Header("Content-Disposition", contentDisposition(strings.TrimSuffix(fileName(o, "pdf"), ".pdf")+mark+".pdf"))
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
