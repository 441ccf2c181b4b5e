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
	"unicode"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"orders/internal/blob"
	"orders/internal/layout"
	"orders/internal/order"
	"orders/internal/registry"
	"orders/internal/ru"
)

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

// intake is a draft as readDraft takes it in: decoded and laid out once, and everything a
// handler needs from those two steps.
type intake struct {
	draft      *order.Draft
	orgID      string
	normalized []byte         // the draft as stored
	notes      order.Problems // what the service changed in it (a number or date dropped)
	doc        *layout.Doc    // the layout the worker will draw
	search     string         // the archive's text of the order, from doc
}

// readDraft decodes the body and resolves its organization, so what is stored is complete:
// a later change of the organization's profile never alters an accepted order. A number and
// a date in the body are dropped (notes says so): in the service only registration gives
// them, so a draft always prints «ПРОЕКТ» and blanks. A template field left unfilled is a
// problem like any other. The draft is laid out here, once, with the worker's page options:
// a draft that the workers could not lay out is not accepted.
func (s *Server) readDraft(c *gin.Context) (in intake, ok bool) {
	data, ok := s.readBody(c)
	if !ok {
		return in, false
	}
	d, err := order.Decode(data)
	if err != nil {
		draftProblem(c, err)
		return in, false
	}
	in.draft, in.notes = d, d.Unregistered()
	in.orgID, err = s.resolveOrganization(c.Request.Context(), who(c), d, nil)
	if err != nil {
		if ps, isProblems := order.AsProblems(err); isProblems {
			draftProblem(c, ps)
		} else {
			s.storeError(c, err)
		}
		return in, false
	}
	in.normalized, err = json.Marshal(d)
	if err != nil {
		problem(c, http.StatusInternalServerError, msgInternal)
		return in, false
	}
	// The normalized draft, not the body: a client may escape the letters of «{подписант}».
	if ps := order.Unfilled(in.normalized); len(ps) > 0 {
		draftProblem(c, ps)
		return in, false
	}
	if in.doc, err = s.cfg.Renderer.Layout(d); err != nil {
		// The draft has passed validation, so what is left is this server's page settings.
		s.log.Error("valid draft not laid out", "org", in.orgID, "err", err)
		problem(c, http.StatusInternalServerError, msgNoLayout)
		return in, false
	}
	in.search = layout.NormalizeText(in.doc.PlainText())
	return in, true
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
		org, err := s.orders.GetOrganization(ctx, orgID)
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
		if _, err := s.orders.GetOrganization(ctx, orgID); errors.Is(err, registry.ErrNotFound) {
			return "", order.Problems{{Path: "organization", Message: fmt.Sprintf("организации «%s» нет в справочнике", orgID)}}
		} else if err != nil {
			return "", err
		}
	}
	return orgID, nil
}

func (s *Server) createOrder(c *gin.Context) {
	in, ok := s.readDraft(c)
	if !ok {
		return
	}
	d := in.draft
	key := c.GetHeader("Idempotency-Key")
	if len(key) > 200 {
		problem(c, http.StatusBadRequest, "Idempotency-Key: длиннее 200 знаков")
		return
	}
	o := &registry.Order{
		OrgID: in.orgID, Kind: string(kindOf(d)), Title: d.Title, Date: d.Date, Number: d.Number,
		Status: registry.StatusQueued, Draft: in.normalized, IdempotencyKey: key, SearchText: in.search,
		CreatedBy: who(c).actor,
	}
	created, err := s.life.Submit(c.Request.Context(), o)
	if errors.Is(err, registry.ErrConflict) {
		problem(c, http.StatusConflict, "Idempotency-Key уже использован для другого черновика: новый черновик отправляйте с новым ключом")
		return
	}
	if err != nil {
		s.storeError(c, err)
		return
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
	if len(in.notes) > 0 {
		answer["notes"] = in.notes
	}
	c.JSON(code, answer)
}

func kindOf(d *order.Draft) order.Kind {
	if d.Kind == "" {
		return order.KindPrikaz
	}
	return d.Kind
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
	CreatedBy    string              `json:"created_by,omitempty"`
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
		UpdatedAt: o.UpdatedAt, RenderedAt: o.RenderedAt, CreatedBy: o.CreatedBy, State: o.State, Journal: o.Journal,
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
	in, ok := s.readDraft(c)
	if !ok {
		return
	}
	d := in.draft
	o, err := s.life.EditDraft(c.Request.Context(), serviceCaller(c), id, in.orgID, registry.DraftUpdate{
		Draft: in.normalized, Kind: string(kindOf(d)), Title: d.Title, Date: d.Date, Number: d.Number,
		SearchText: in.search,
	})
	if err != nil {
		s.serviceError(c, err)
		return
	}
	answer := view(o)
	answer.Notes = in.notes
	c.JSON(http.StatusAccepted, answer)
}

func (s *Server) deleteOrder(c *gin.Context) {
	id, ok := s.orderID(c)
	if !ok {
		return
	}
	if err := s.life.DeleteDraft(c.Request.Context(), serviceCaller(c), id); err != nil {
		s.serviceError(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (s *Server) rerender(c *gin.Context) {
	id, ok := s.orderID(c)
	if !ok {
		return
	}
	o, err := s.life.Rerender(c.Request.Context(), serviceCaller(c), id)
	if err != nil {
		s.serviceError(c, err)
		return
	}
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
			key, sum, ctype = o.DOCXKey, o.DOCXSHA256, blob.DOCXType
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
		c.Header("Content-Disposition", contentDisposition(downloadName(o, "", format)))
		c.Data(http.StatusOK, ctype, data)
	}
}

// fileName is the short name of an order's document, by its number and date: «Приказ
// № 1355 от 22.09.2022.pdf», «Проект приказа.pdf». The export's files are named so, as
// in a register.
func fileName(o *registry.Order, ext string) string {
	var name string
	if o.Number != "" {
		kind := o.Kind
		if r := []rune(kind); len(r) > 0 {
			kind = strings.ToUpper(string(r[0])) + string(r[1:])
		}
		name = kind + " № " + o.Number
	} else {
		name = "Проект " + genitive(o.Kind)
	}
	if t, err := time.Parse(time.DateOnly, o.Date); err == nil {
		name += " от " + ru.NumericDate(t)
	}
	return fileSafe(name) + "." + ext
}

// downloadName is the name a download gets on disk: the short name and the title, trimmed,
// so that a folder of downloads tells the orders apart: «Приказ № 1355 от 22.09.2022
// «Об организации работы …».pdf». mark (« (подписан)») goes before the extension.
func downloadName(o *registry.Order, mark, ext string) string {
	name := strings.TrimSuffix(fileName(o, ext), "."+ext)
	if t := trimTitle(o.Title, maxTitleInName); t != "" {
		name += " «" + fileSafe(t) + "»"
	}
	return name + mark + "." + ext
}

// maxTitleInName keeps a download's name well inside the 255 bytes of a file name (a
// Cyrillic letter is two).
const maxTitleInName = 60

// trimTitle cuts a title to at most max letters at a word boundary, marking the cut with «…».
func trimTitle(title string, max int) string {
	title = strings.Join(strings.Fields(title), " ")
	r := []rune(title)
	if len(r) <= max {
		return title
	}
	cut := string(r[:max])
	if i := strings.LastIndex(cut, " "); i > len(cut)/2 {
		cut = cut[:i]
	}
	return strings.TrimRight(cut, " ,.;:—-«»\"") + "…"
}

func genitive(kind string) string {
	if g, ok := map[string]string{"приказ": "приказа", "распоряжение": "распоряжения", "решение": "решения"}[kind]; ok {
		return g
	}
	return kind
}

// fileSafe replaces what Windows and Unix refuse in a file name.
func fileSafe(name string) string {
	return strings.Map(func(r rune) rune {
		if strings.ContainsRune(`/\:*?"<>|`, r) || r < 0x20 {
			return '_'
		}
		return r
	}, name)
}

// contentDisposition gives the UTF-8 name (RFC 6266, RFC 5987) and an ASCII fallback in
// Latin letters for clients that read only filename=, as curl -OJ does: «Приказ № 1355 от
// 22.09.2022.pdf» → "Prikaz N 1355 ot 22.09.2022.pdf".
func contentDisposition(name string) string {
	ascii := translit(name)
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

var translitTable = map[rune]string{
	'а': "a", 'б': "b", 'в': "v", 'г': "g", 'д': "d", 'е': "e", 'ё': "e", 'ж': "zh", 'з': "z", 'и': "i",
	'й': "i", 'к': "k", 'л': "l", 'м': "m", 'н': "n", 'о': "o", 'п': "p", 'р': "r", 'с': "s", 'т': "t",
	'у': "u", 'ф': "f", 'х': "kh", 'ц': "ts", 'ч': "ch", 'ш': "sh", 'щ': "shch", 'ъ': "ie", 'ы': "y", 'ь': "",
	'э': "e", 'ю': "iu", 'я': "ia", '№': "N", '…': "...", '«': "", '»': "", '—': "-", '–': "-",
}

// translit writes name in printable ASCII: Russian letters as in a Russian passport (ICAO
// Doc 9303), the rest that is not ASCII, and quotes and backslashes that would end the
// quoted string, as '_'.
func translit(name string) string {
	var b strings.Builder
	for _, r := range name {
		lower := unicode.ToLower(r)
		t, ok := translitTable[lower]
		switch {
		case ok && lower != r && t != "":
			b.WriteString(strings.ToUpper(t[:1]) + t[1:])
		case ok:
			b.WriteString(t)
		case r < 0x20 || r > 0x7e || r == '"' || r == '\\':
			b.WriteByte('_')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
