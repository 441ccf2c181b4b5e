package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"orders/internal/order"
	"orders/internal/queue"
	"orders/internal/registry"
	"orders/internal/worker"
)

// editable are the statuses in which an order is still a draft the clerk may change or
// delete; registered, signed and cancelled orders are records.
var editable = []registry.Status{
	registry.StatusDraft, registry.StatusQueued, registry.StatusRendering,
	registry.StatusRendered, registry.StatusFailed,
}

// readBody enforces the content type and the size limit; it has answered when ok is false.
func (s *Server) readBody(c *gin.Context) (data []byte, ok bool) {
	mt, _, err := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if err != nil || mt != "application/json" {
		problem(c, http.StatusUnsupportedMediaType, "тело запроса должно быть JSON: заголовок Content-Type: application/json")
		return nil, false
	}
	data, err = io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, s.cfg.MaxBody))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		problem(c, http.StatusRequestEntityTooLarge, fmt.Sprintf("запрос больше допустимого: не более %d байт", s.cfg.MaxBody))
		return nil, false
	case err != nil:
		problem(c, http.StatusBadRequest, "тело запроса не дочитано: "+err.Error())
		return nil, false
	}
	return data, true
}

// draftProblem answers a draft that did not decode or validate: 400 for what is not JSON,
// 422 with every path for JSON that is not a valid draft.
func draftProblem(c *gin.Context, err error) {
	ps, _ := order.AsProblems(err)
	if order.IsMalformed(err) {
		writeProblem(c, Problem{Status: http.StatusBadRequest, Detail: ps.Error(), Errors: ps})
		return
	}
	writeProblem(c, Problem{Status: http.StatusUnprocessableEntity, Detail: problemsDetail(ps), Errors: ps})
}

// readDraft decodes the body and resolves its organization, so what is stored is complete:
// a later change of the organization's profile never alters an accepted order. A number and
// a date in the body are dropped (notes says so): in the service only registration gives
// them, so a draft always prints «ПРОЕКТ» and blanks. A template field left unfilled is a
// problem like any other.
func (s *Server) readDraft(c *gin.Context) (d *order.Draft, orgID string, normalized []byte, notes order.Problems, ok bool) {
	data, ok := s.readBody(c)
	if !ok {
		return nil, "", nil, nil, false
	}
	d, err := order.Decode(data)
	if err != nil {
		draftProblem(c, err)
		return nil, "", nil, nil, false
	}
	notes = d.Unregistered()
	orgID, err = s.resolveOrganization(c.Request.Context(), who(c), d, nil)
	if err != nil {
		if ps, isProblems := order.AsProblems(err); isProblems {
			draftProblem(c, ps)
		} else {
			s.storeError(c, err)
		}
		return nil, "", nil, nil, false
	}
	normalized, err = json.Marshal(d)
	if err != nil {
		problem(c, http.StatusInternalServerError, msgInternal)
		return nil, "", nil, nil, false
	}
	// The normalized draft, not the body: a client may escape the letters of «{подписант}».
	if ps := order.Unfilled(normalized); len(ps) > 0 {
		draftProblem(c, ps)
		return nil, "", nil, nil, false
	}
	return d, orgID, normalized, notes, true
}

// resolveOrganization decides which organization issues a draft for the caller and, when
// the draft carries no letterhead, fills it in from the organization's stored profile. A
// clerk's token fixes the organization; an admin names it in the draft. What the caller can
// fix comes back as order.Problems, anything else is a registry error. letterheads, if not
// nil, caches the decoded profiles for a caller that resolves many drafts (a batch).
func (s *Server) resolveOrganization(ctx context.Context, cl caller, d *order.Draft, letterheads map[string]*order.Letterhead) (string, error) {
	orgID := cl.orgID
	switch {
	case orgID == "" && d.Organization == "":
		return "", order.Problems{{Path: "organization", Message: "укажите организацию: с токеном администратора её нужно назвать"}}
	case orgID == "":
		orgID = d.Organization
	case d.Organization != "" && d.Organization != orgID:
		return "", order.Problems{{Path: "organization", Message: fmt.Sprintf("«%s» — не организация этого токена (%s)", d.Organization, orgID)}}
	}
	d.Organization = orgID
	if d.Letterhead == nil {
		if lh, ok := letterheads[orgID]; ok {
			d.Letterhead = lh
			return orgID, nil
		}
		org, err := s.cfg.Store.GetOrganization(ctx, orgID)
		if errors.Is(err, registry.ErrNotFound) {
			return "", order.Problems{{Path: "organization", Message: fmt.Sprintf("организации «%s» нет в справочнике; добавьте её или передайте бланк (letterhead) в черновике", orgID)}}
		}
		if err != nil {
			return "", err
		}
		if d.Letterhead, err = order.DecodeLetterhead(org.Profile); err != nil {
			return "", order.Problems{{Path: "organization", Message: fmt.Sprintf("бланк организации «%s» в справочнике испорчен: %s; его исправляет администратор", orgID, err)}}
		}
		if letterheads != nil {
			letterheads[orgID] = d.Letterhead
		}
	} else if cl.orgID == "" {
		// An admin naming an organization that does not exist would create an order nobody
		// of that organization can see.
		if _, err := s.cfg.Store.GetOrganization(ctx, orgID); errors.Is(err, registry.ErrNotFound) {
			return "", order.Problems{{Path: "organization", Message: fmt.Sprintf("организации «%s» нет в справочнике", orgID)}}
		} else if err != nil {
			return "", err
		}
	}
	return orgID, nil
}

func (s *Server) createOrder(c *gin.Context) {
	d, orgID, normalized, notes, ok := s.readDraft(c)
	if !ok {
		return
	}
	key := c.GetHeader("Idempotency-Key")
	if len(key) > 200 {
		problem(c, http.StatusBadRequest, "Idempotency-Key: длиннее 200 знаков")
		return
	}
	o := &registry.Order{
		OrgID: orgID, Kind: string(kindOf(d)), Title: d.Title, Date: d.Date, Number: d.Number,
		Status: registry.StatusQueued, Draft: normalized, IdempotencyKey: key, SearchText: searchText(d),
		CreatedBy: who(c).actor,
	}
	created, err := s.cfg.Store.CreateOrder(c.Request.Context(), o)
	if errors.Is(err, registry.ErrConflict) {
		problem(c, http.StatusConflict, "Idempotency-Key уже использован для другого черновика: новый черновик отправляйте с новым ключом")
		return
	}
	if err != nil {
		s.storeError(c, err)
		return
	}
	// A replay re-publishes too: if the first attempt died between the insert and the
	// publish, this closes the gap sooner than the sweeper; the dedup id makes it harmless.
	if o.Status == registry.StatusQueued {
		s.publish(c, o, "submit")
	}
	if s.cfg.Accepted != nil {
		s.cfg.Accepted()
	}
	code := http.StatusAccepted
	if !created {
		c.Header("Idempotent-Replayed", "true")
	}
	loc := "/api/v1/orders/" + o.ID.String()
	c.Header("Location", loc)
	answer := gin.H{"id": o.ID, "status": o.Status, "location": loc}
	if len(notes) > 0 {
		answer["notes"] = notes
	}
	c.JSON(code, answer)
}

func kindOf(d *order.Draft) order.Kind {
	if d.Kind == "" {
		return order.KindPrikaz
	}
	return d.Kind
}

// publish hands the order to the workers. A failure is not returned: the order is recorded
// as queued, the job is published again in the background with growing delays (a leader
// election is over in seconds), and the sweeper republishes whatever stays queued after
// that. For the same reason the answer does not wait for the queue's acknowledgement:
// waiting added nothing to what the registry already guarantees, and it was half of the
// intake latency's tail (JetStream acks of 20-35 ms while workers ack their jobs on the same
// stream).
func (s *Server) publish(c *gin.Context, o *registry.Order, reason string) {
	job, id := queue.Job{OrderID: o.ID, Reason: reason}, worker.JobID(o)
	if err := s.cfg.Queue.Enqueue(job, id); err != nil {
		s.log.Warn("publish failed; republishing", "order", o.ID, "err", err)
		s.republish.Retry(job, id)
	}
}

func (s *Server) orderID(c *gin.Context) (uuid.UUID, bool) {
	id, err := uuid.Parse(c.Param("id"))
	if err != nil {
		problem(c, http.StatusNotFound, "такого приказа нет: в адресе не идентификатор приказа")
		return uuid.Nil, false
	}
	return id, true
}

type docView struct {
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
	URL    string `json:"url"`
}

type orderView struct {
	ID           uuid.UUID           `json:"id"`
	Organization string              `json:"organization"`
	Kind         string              `json:"kind"`
	Title        string              `json:"title"`
	Date         string              `json:"date,omitempty"`
	Number       string              `json:"number,omitempty"`
	Status       registry.Status     `json:"status"`
	Error        string              `json:"error,omitempty"`
	Attempts     int                 `json:"attempts"`
	CreatedAt    time.Time           `json:"created_at"`
	UpdatedAt    time.Time           `json:"updated_at"`
	RenderedAt   *time.Time          `json:"rendered_at,omitempty"`
	Documents    map[string]*docView `json:"documents,omitempty"`
	Draft        json.RawMessage     `json:"draft,omitempty"`

	State        registry.State `json:"state"`
	Journal      string         `json:"journal,omitempty"`
	Signatory    string         `json:"signatory,omitempty"`
	RegisteredAt *time.Time     `json:"registered_at,omitempty"`
	SignedAt     *time.Time     `json:"signed_at,omitempty"`
	CancelledAt  *time.Time     `json:"cancelled_at,omitempty"`
	CancelReason string         `json:"cancel_reason,omitempty"`
	CancelledBy  string         `json:"cancelled_by,omitempty"`

	// Notes say what the service changed in a submitted draft (a number it dropped).
	Notes order.Problems `json:"notes,omitempty"`
	// Imported: registered elsewhere and taken in by POST /orders/import.
	Imported bool `json:"imported"`
}

func view(o *registry.Order) orderView {
	v := orderView{
		ID: o.ID, Organization: o.OrgID, Kind: o.Kind, Title: o.Title, Date: o.Date, Number: o.Number,
		Status: o.Status, Error: o.Error, Attempts: o.Attempts, CreatedAt: o.CreatedAt,
		UpdatedAt: o.UpdatedAt, RenderedAt: o.RenderedAt, State: o.State, Journal: o.Journal,
		Signatory: o.Signatory, RegisteredAt: o.RegisteredAt, SignedAt: o.SignedAt,
		CancelledAt: o.CancelledAt, CancelReason: o.CancelReason, CancelledBy: o.CancelledBy, Imported: o.Imported,
	}
	if len(o.Draft) > 0 {
		v.Draft = o.Draft
	}
	if o.PDFKey != "" {
		base := "/api/v1/orders/" + o.ID.String()
		v.Documents = map[string]*docView{
			"pdf":  {Size: o.PDFSize, SHA256: o.PDFSHA256, URL: base + "/document.pdf"},
			"docx": {Size: o.DOCXSize, SHA256: o.DOCXSHA256, URL: base + "/document.docx"},
		}
		if o.DOCXKey == "" {
			delete(v.Documents, "docx") // an imported order has its PDF only
		}
	}
	if o.SignedKey != "" {
		if v.Documents == nil {
			v.Documents = map[string]*docView{}
		}
		v.Documents["signed_pdf"] = &docView{Size: o.SignedSize, SHA256: o.SignedSHA256, URL: "/api/v1/orders/" + o.ID.String() + "/signed.pdf"}
	}
	return v
}

func (s *Server) getOrder(c *gin.Context) {
	if o, ok := s.loadOrder(c); ok {
		c.JSON(http.StatusOK, view(o))
	}
}

// listOrders is the archive search under the orders' own path: the same filters, with q
// matching the whole text of the order (the title included).
func (s *Server) listOrders(c *gin.Context) { s.archive(c) }

func (s *Server) updateOrder(c *gin.Context) {
	id, ok := s.orderID(c)
	if !ok {
		return
	}
	d, orgID, normalized, notes, ok := s.readDraft(c)
	if !ok {
		return
	}
	cur, err := s.cfg.Store.GetOrder(c.Request.Context(), who(c).orgID, id)
	if err != nil {
		s.storeError(c, err)
		return
	}
	if cur.OrgID != orgID {
		draftProblem(c, order.Problems{{Path: "organization", Message: fmt.Sprintf("приказ организации «%s» нельзя перенести в другую организацию", cur.OrgID)}})
		return
	}
	o, err := s.cfg.Store.UpdateDraft(c.Request.Context(), who(c).orgID, id, registry.DraftUpdate{
		Draft: normalized, Kind: string(kindOf(d)), Title: d.Title, Date: d.Date, Number: d.Number,
		Status: registry.StatusQueued, SearchText: searchText(d), Author: who(c).actor,
		Audit: auditEntry(c, "draft-version", nil),
	}, editable)
	if err != nil {
		s.storeError(c, err)
		return
	}
	s.publish(c, o, "update")
	s.freeReplaced(c.Request.Context(), cur, o)
	answer := view(o)
	answer.Notes = notes
	c.JSON(http.StatusAccepted, answer)
}

func (s *Server) deleteOrder(c *gin.Context) {
	id, ok := s.orderID(c)
	if !ok {
		return
	}
	freed, err := s.cfg.Store.DeleteOrder(c.Request.Context(), who(c).orgID, id, editable)
	if err != nil {
		s.storeError(c, err)
		return
	}
	s.deleteDocuments(c.Request.Context(), id, freed)
	c.Status(http.StatusNoContent)
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
func (s *Server) deleteDocuments(ctx context.Context, id uuid.UUID, keys []string) {
	ctx = context.WithoutCancel(ctx)
	for _, key := range keys {
		if err := s.cfg.Blobs.Delete(ctx, key); err != nil {
			s.log.Error("deleting a document no record refers to any more; remove it by hand", "order", id, "key", key, "err", err)
		}
	}
}

// freeReplaced deletes the documents of a draft's previous render that its edit made
// obsolete, unless another record refers to them. An edit of a draft that was rendering may
// leave that render's documents behind (the worker's write is refused, its bytes stay): only
// what the order referred to when it was read is known here.
func (s *Server) freeReplaced(ctx context.Context, before, after *registry.Order) {
	ctx = context.WithoutCancel(ctx)
	var free []string
	for _, key := range []string{before.PDFKey, before.DOCXKey} {
		if key == "" || key == after.PDFKey || key == after.DOCXKey {
			continue
		}
		ref, err := s.cfg.Store.DocumentReferenced(ctx, key)
		if err != nil {
			s.log.Error("checking a replaced document", "order", before.ID, "key", key, "err", err)
			continue
		}
		if !ref {
			free = append(free, key)
		}
	}
	s.deleteDocuments(ctx, before.ID, free)
}

func (s *Server) rerender(c *gin.Context) {
	id, ok := s.orderID(c)
	if !ok {
		return
	}
	o, err := s.cfg.Store.SetStatus(c.Request.Context(), who(c).orgID, id,
		[]registry.Status{registry.StatusRendered, registry.StatusFailed}, registry.StatusQueued)
	if err != nil {
		s.storeError(c, err)
		return
	}
	s.publish(c, o, "rerender")
	c.JSON(http.StatusAccepted, gin.H{"id": o.ID, "status": o.Status})
}

func (s *Server) download(format string) gin.HandlerFunc {
	return func(c *gin.Context) {
		o, ok := s.loadOrder(c)
		if !ok {
			return
		}
		key, sum, ctype := o.PDFKey, o.PDFSHA256, "application/pdf"
		if format == "docx" && o.Imported {
			problem(c, http.StatusNotFound, "у импортированного приказа нет DOCX: хранится только загруженный PDF (document.pdf)")
			return
		}
		if format == "docx" {
			key, sum, ctype = o.DOCXKey, o.DOCXSHA256, worker.DOCXType
		}
		if o.Status != registry.StatusRendered || key == "" {
			writeProblem(c, Problem{Status: http.StatusConflict, Current: o.Status,
				Detail: "документ ещё не готов: " + word(statusWords, o.Status)})
			return
		}
		etag := `"` + sum + `"`
		c.Header("ETag", etag)
		if match := c.GetHeader("If-None-Match"); match == etag {
			c.Status(http.StatusNotModified)
			return
		}
		data, err := s.readVerified(c.Request.Context(), key, sum)
		if err != nil {
			s.integrityError(c, o.ID, err)
			return
		}
		c.Header("Content-Disposition", contentDisposition(fileName(o, format)))
		c.Data(http.StatusOK, ctype, data)
	}
}

// fileName is the Russian name a clerk expects on disk: «Приказ № 1355 от 22.09.2022.pdf».
func fileName(o *registry.Order, ext string) string {
	kind := o.Kind
	if r := []rune(kind); len(r) > 0 {
		kind = strings.ToUpper(string(r[0])) + string(r[1:])
	}
	name := kind
	if o.Number != "" {
		name += " № " + o.Number
	} else {
		name = "Проект " + strings.ToLower(name)
	}
	if t, err := time.Parse(time.DateOnly, o.Date); err == nil {
		name += " от " + t.Format("02.01.2006")
	}
	name = strings.Map(func(r rune) rune {
		if strings.ContainsRune(`/\:*?"<>|`, r) || r < 0x20 {
			return '_'
		}
		return r
	}, name)
	return name + "." + ext
}

// contentDisposition gives an ASCII fallback and the UTF-8 name (RFC 6266, RFC 5987).
func contentDisposition(name string) string {
	ascii := strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' {
			return '_'
		}
		return r
	}, name)
	var enc strings.Builder
	for _, b := range []byte(name) {
		if 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' || strings.IndexByte("!#$&+-.^_`|~", b) >= 0 {
			enc.WriteByte(b)
		} else {
			fmt.Fprintf(&enc, "%%%02X", b)
		}
	}
	return fmt.Sprintf(`attachment; filename="%s"; filename*=UTF-8''%s`, ascii, enc.String())
}
