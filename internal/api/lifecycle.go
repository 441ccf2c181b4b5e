package api

import (
	"context"
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

	"orders/internal/auth"
	"orders/internal/blob"
	"orders/internal/lifecycle"
	"orders/internal/order"
	"orders/internal/registry"
	"orders/internal/sign"
	"orders/internal/signing"
	"orders/internal/strictjson"
)

func auditEntry(c *gin.Context, action string, details any) *registry.AuditEntry {
	return registry.NewAuditEntry(who(c).actor, action, details)
}

type registerRequest struct {
	Journal string `json:"journal"`
	Date    string `json:"date"`
}

// register gives a draft the next number of a journal (lifecycle.Service.Register).
func (s *Server) register(c *gin.Context) {
	var req registerRequest
	id, ok := s.orderRequest(c, &req)
	if !ok {
		return
	}
	key := c.GetHeader("Idempotency-Key")
	if len(key) > registry.MaxRegisterKey {
		problem(c, http.StatusBadRequest, fmt.Sprintf("Idempotency-Key: длиннее %d знаков", registry.MaxRegisterKey))
		return
	}
	o, replayed, err := s.life.Register(c.Request.Context(), serviceCaller(c), id,
		lifecycle.Registration{Journal: req.Journal, Date: req.Date, Key: key})
	if err != nil {
		s.serviceError(c, err)
		return
	}
	if replayed {
		c.Header("Idempotent-Replayed", "true")
	}
	c.JSON(http.StatusOK, view(o))
}

// orderRequest reads the order id of the path and the JSON body into v; it has answered
// when ok is false.
func (s *Server) orderRequest(c *gin.Context, v any) (id uuid.UUID, ok bool) {
	if id, ok = s.orderID(c); ok {
		ok = s.readJSON(c, v)
	}
	return id, ok
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
	var req cancelRequest
	id, ok := s.orderRequest(c, &req)
	if !ok {
		return
	}
	o, err := s.life.Cancel(c.Request.Context(), serviceCaller(c), id, req.Reason)
	if err != nil {
		s.serviceError(c, err)
		return
	}
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

// serviceCaller is the caller as the services see it: the organization the request is
// scoped to, the actor of the audit trail and the name a person reads.
func serviceCaller(c *gin.Context) auth.Caller {
	cl := who(c)
	return auth.Caller{Role: cl.role, OrgID: cl.orgID, Actor: cl.actor, UserID: cl.user, Name: cl.display}
}

// signOrder signs a registered order with its organization's key (signing.Service.Sign).
func (s *Server) signOrder(c *gin.Context) {
	id, ok := s.orderID(c)
	if !ok {
		return
	}
	o, err := s.signing.Sign(c.Request.Context(), serviceCaller(c), id)
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
	a, err := s.signing.AddSignature(c.Request.Context(), serviceCaller(c), id, ext)
	if err != nil {
		s.serviceError(c, err)
		return
	}
	res, sig := a.Result, a.Signature
	c.JSON(http.StatusCreated, gin.H{"id": sig.ID, "kind": sig.Kind, "status": res.Status, "reason": res.Reason,
		"trust": res.Trust, "trust_reason": res.TrustReason, "verdict": res.Verdict(),
		"signer": certView(res.Signer), "verified": sig.Verified, "sha256": sig.SHA256, "order_state": a.State})
}

// loadOrder reads the order named in the path, as the caller may see it; it has answered
// when ok is false.
func (s *Server) loadOrder(c *gin.Context) (*registry.Order, bool) {
	id, ok := s.orderID(c)
	if !ok {
		return nil, false
	}
	o, err := s.records.GetOrder(c.Request.Context(), who(c).orgID, id)
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
	list, err := s.records.ListSignatures(c.Request.Context(), who(c).orgID, id)
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
		writeProblem(c, Problem{Status: http.StatusConflict, State: o.State, Detail: "приказ не подписан: подписанного документа нет, приказ " + o.State.Word()})
		return
	}
	data, err := s.readVerified(ctx, o.SignedKey, o.SignedSHA256)
	if err != nil {
		s.integrityError(c, o.ID, err)
		return
	}
	// The bytes are chosen and about to go out: a client that hangs up now may still have
	// them, so its going away must not cancel the record of the download.
	if err := s.records.AppendAudit(context.WithoutCancel(ctx), withOrder(auditEntry(c, "download-signed", map[string]string{"sha256": o.SignedSHA256}), o)); err != nil {
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

// recordAck records that a person of the acknowledgement list has read the order
// (lifecycle.Service.Acknowledge) and answers the list as it is now.
func (s *Server) recordAck(c *gin.Context) {
	var req ackRequest
	id, ok := s.orderRequest(c, &req)
	if !ok {
		return
	}
	if _, err := s.life.Acknowledge(c.Request.Context(), serviceCaller(c), id, req.Person, req.Date); err != nil {
		s.serviceError(c, err)
		return
	}
	s.listAcks(c)
}

// listAcks says who has read the order and who has not yet.
func (s *Server) listAcks(c *gin.Context) {
	o, ok := s.loadOrder(c)
	if !ok {
		return
	}
	id := o.ID
	ctx := c.Request.Context()
	acks, err := s.records.ListAcks(ctx, who(c).orgID, id)
	if err != nil {
		s.storeError(c, err)
		return
	}
	read := map[string]registry.Ack{}
	for _, a := range acks {
		read[a.Person] = a
	}
	readOut, pending := []gin.H{}, []string{}
	for _, p := range lifecycle.AckPeople(o) {
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
	if err := s.journals.PutJournalWithStarts(ctx, j, starts); errors.As(err, &se) {
		problem(c, http.StatusConflict, fmt.Sprintf("starts.%d: в %d году уже выдан номер %d; начать нумерацию с %d нельзя, нужен номер больше %d. Журнал не изменён",
			se.Year, se.Year, se.Last, se.Next, se.Last))
		return
	} else if err != nil {
		s.storeError(c, err)
		return
	}
	j, err := s.journals.GetJournal(ctx, org, id)
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
	list, err := s.journals.ListJournals(c.Request.Context(), org)
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
