package api

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"

	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"orders/internal/auth"
	"orders/internal/blob"
	"orders/internal/csvsafe"
	"orders/internal/registry"
	"orders/internal/ru"
)

// filterFromQuery reads the archive's search parameters; it has answered when ok is false.
func filterFromQuery(c *gin.Context) (f registry.Filter, ok bool) {
	q := c.Request.URL.Query()
	f = registry.Filter{
		OrgID: who(c).orgID, Kind: q.Get("kind"), Status: registry.Status(q.Get("status")),
		State: registry.State(q.Get("state")), Number: q.Get("number"), Signatory: q.Get("signatory"),
		DateFrom: q.Get("date_from"), DateTo: q.Get("date_to"), Text: q.Get("title"), FullText: q.Get("q"),
		Cursor: q.Get("cursor"), Sort: q.Get("sort"),
	}
	if f.Sort != "" && !slices.Contains([]string{"date", "-date", "number", "-number", "title", "-title"}, f.Sort) {
		problem(c, http.StatusBadRequest, fmt.Sprintf("sort: неизвестный порядок «%s»; бывают date, number, title, с минусом — по убыванию (-date)", f.Sort))
		return f, false
	}
	if org := q.Get("organization"); org != "" {
		if f.OrgID != "" && org != f.OrgID {
			// Another organization's orders do not exist for this caller: match nothing.
			f.Number = "\x00"
		} else {
			f.OrgID = org
		}
	}
	if f.Status != "" && !f.Status.Valid() {
		problem(c, http.StatusBadRequest, fmt.Sprintf("status: неизвестный статус «%s»; бывают %s", f.Status, statusList()))
		return f, false
	}
	if f.State != "" && !f.State.Valid() {
		problem(c, http.StatusBadRequest, fmt.Sprintf("state: неизвестное состояние «%s»; бывают %s", f.State, stateList()))
		return f, false
	}
	for _, p := range []struct{ name, v string }{{"date_from", f.DateFrom}, {"date_to", f.DateTo}} {
		if _, err := time.Parse(time.DateOnly, p.v); p.v != "" && err != nil {
			problem(c, http.StatusBadRequest, fmt.Sprintf("%s: не дата: «%s»; нужна дата в виде ГГГГ-ММ-ДД", p.name, p.v))
			return f, false
		}
	}
	if mine := q.Get("mine"); mine != "" {
		b, err := strconv.ParseBool(mine)
		if err != nil {
			problem(c, http.StatusBadRequest, fmt.Sprintf("mine: true или false, а не %q", mine))
			return f, false
		}
		if b {
			f.CreatedBy = who(c).actor
		}
	}
	f.Case = q.Get("case")
	if y := q.Get("year"); y != "" {
		n, err := strconv.Atoi(y)
		if err != nil || n < 1900 || n > 2999 || f.Case == "" {
			problem(c, http.StatusBadRequest, fmt.Sprintf("year: год дела (вместе с case), например 2025, а не «%s»", y))
			return f, false
		}
		f.CaseYear = n
	}
	if imp := q.Get("imported"); imp != "" {
		b, err := strconv.ParseBool(imp)
		if err != nil {
			problem(c, http.StatusBadRequest, fmt.Sprintf("imported: true или false, а не %q", imp))
			return f, false
		}
		f.Imported = &b
	}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > registry.MaxLimit {
			problem(c, http.StatusBadRequest, fmt.Sprintf("limit: нужно число от 1 до %d, а не «%s»", registry.MaxLimit, l))
			return f, false
		}
		f.Limit = n
	}
	return f, true
}

// archive searches the registry: number, dates, organization, kind, state, signatory and
// the full text of the order, with Russian word forms.
func (s *Server) archive(c *gin.Context) {
	f, ok := filterFromQuery(c)
	if !ok {
		return
	}
	list, next, err := s.records.ListOrders(c.Request.Context(), f)
	if err != nil {
		s.storeError(c, err)
		return
	}
	views := make([]orderView, len(list))
	for i := range list {
		views[i] = view(&list[i])
	}
	// The total is counted on the first page only: the next pages have the same.
	if f.Cursor != "" {
		c.JSON(http.StatusOK, gin.H{"orders": views, "next_cursor": next})
		return
	}
	total, err := s.records.CountOrders(c.Request.Context(), f)
	if err != nil {
		s.storeError(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"orders": views, "next_cursor": next, "total": min(total, registry.MaxCount),
		"total_exceeds": total > registry.MaxCount})
}

// export streams a ZIP of the signed orders of a date range: each signed PDF, its detached
// signatures, per organization a SHA256SUMS of its files, and a registry CSV that Russian
// Excel opens as is (UTF-8 with BOM, «;»), stating cancellations.
//
// Memory does not grow with the period: the registry is read page by page and each document
// goes into the ZIP as it is read, through a reader that checks it against the SHA-256 the
// registry recorded. Only the CSV rows and the SHA256SUMS lines (a few hundred bytes an
// order) are kept until the end.
//
// Nothing is served unaudited: a first walk over the registry (no documents read) counts
// what will be exported and hashes each organization's SHA256SUMS; one audit entry
// «export» per organization records the caller, the period, the counts and that hash before
// the first byte goes out, and a failed append refuses the export. The second walk, which
// streams, must arrive at the same SHA256SUMS; orders signed and signatures added after the
// export began are left out of both. Whoever holds the ZIP can check it against the audit
// trail: sha256sum of <organization>/SHA256SUMS is the audited hash, and sha256sum -c in
// that folder checks every file.
//
// Once the ZIP has begun, any error (a document that does not match its hash, one that
// cannot be read, a registry error) cuts the connection: the client sees a broken download,
// never a ZIP that silently lacks a document.
func (s *Server) export(c *gin.Context) {
	f, ok := filterFromQuery(c)
	if !ok {
		return
	}
	if f.DateFrom == "" || f.DateTo == "" {
		problem(c, http.StatusBadRequest, "date_from и date_to: укажите обе даты периода (ГГГГ-ММ-ДД)")
		return
	}
	ctx := c.Request.Context()
	cutoff := time.Now().UTC()

	planned := map[string]*exportManifest{}
	err := s.walkExport(ctx, f, cutoff, func(it *exportItem) error {
		manifestOf(planned, it.o.OrgID, false).add(it)
		return nil
	})
	if err != nil {
		s.storeError(c, err)
		return
	}
	if org := who(c).orgID; org != "" {
		manifestOf(planned, org, false) // an empty export of one's own organization is recorded too
	}
	if !s.auditExport(c, f, planned) {
		return
	}
	s.writeExport(c, f, cutoff, planned)
}

// auditExport records the export in each organization's audit trail before its first byte,
// with the SHA-256 of the SHA256SUMS it will carry; it has answered when it returns false.
func (s *Server) auditExport(c *gin.Context, f registry.Filter, planned map[string]*exportManifest) bool {
	ctx := c.Request.Context()
	// Any other search parameter narrowed the export: the trail says which.
	narrowed := map[string]string{}
	for k, v := range c.Request.URL.Query() {
		if k != "date_from" && k != "date_to" && len(v) > 0 && v[0] != "" {
			narrowed[k] = v[0]
		}
	}
	for _, org := range slices.Sorted(maps.Keys(planned)) {
		m := planned[org]
		details := map[string]any{
			"date_from": f.DateFrom, "date_to": f.DateTo, "orders": m.orders, "files": m.files,
			"sha256sums": m.sum(),
		}
		if len(narrowed) > 0 {
			details["filter"] = narrowed
		}
		entry := auditEntry(c, "export", details)
		entry.OrgID = org
		if err := s.records.AppendAudit(ctx, entry); err != nil {
			s.log.Error("export refused: the audit entry was not appended", "organization", org, "err", err)
			problem(c, http.StatusInternalServerError, "выгрузка не выполнена: не удалось записать её в журнал аудита; повторите позже")
			return false
		}
	}

	return true
}

// writeExport streams the ZIP: each document through its SHA-256 check, then the
// organizations' SHA256SUMS and реестр.csv; it cuts the archive when the registry no longer
// matches what was audited.
func (s *Server) writeExport(c *gin.Context, f registry.Filter, cutoff time.Time, planned map[string]*exportManifest) {
	ctx := c.Request.Context()
	name := fmt.Sprintf("архив %s — %s.zip", f.DateFrom, f.DateTo)
	c.Header("Content-Type", "application/zip")
	c.Header("Content-Disposition", contentDisposition(name))
	c.Status(http.StatusOK)
	zw := zip.NewWriter(c.Writer)
	var csvBuf bytes.Buffer
	csvBuf.WriteString("\ufeff")
	cw := csvsafe.NewWriter(&csvBuf) // a title such as «=HYPERLINK(…)» must not run in Excel
	cw.Comma = ';'
	cw.UseCRLF = true
	_ = cw.Write([]string{"номер", "дата", "заголовок", "вид", "подписант", "организация", "SHA-256", "файл", "подписи", "отменён", "импортирован"})
	orgNames := s.orgNames(ctx)
	streamed := map[string]*exportManifest{}
	buf := make([]byte, 64<<10)
	err := s.walkExport(ctx, f, cutoff, func(it *exportItem) error {
		for _, file := range append([]exportFile{it.pdf}, it.sigs...) {
			if err := s.copyVerified(ctx, zw, safe(it.o.OrgID)+"/"+file.name, file, buf); err != nil {
				return fmt.Errorf("order %s: %w", it.o.ID, err)
			}
		}
		manifestOf(streamed, it.o.OrgID, true).add(it)
		return cw.Write(csvRow(it, orgNames))
	})
	if err != nil {
		s.abortExport(c, err)
		return
	}
	for org, p := range planned {
		if m := manifestOf(streamed, org, true); p.sum() != m.sum() {
			s.abortExport(c, fmt.Errorf("organization %s: the registry changed between counting and streaming the export", org))
			return
		}
	}
	for _, org := range slices.Sorted(maps.Keys(streamed)) {
		m := streamed[org]
		if m.orders == 0 {
			continue
		}
		if planned[org] == nil {
			s.abortExport(c, fmt.Errorf("organization %s: the registry changed between counting and streaming the export", org))
			return
		}
		if err := writeEntry(zw, safe(org)+"/SHA256SUMS", zip.Deflate, m.lines.Bytes(), cutoff); err != nil {
			s.abortExport(c, err)
			return
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		s.abortExport(c, err)
		return
	}
	if err := writeEntry(zw, "реестр.csv", zip.Deflate, csvBuf.Bytes(), cutoff); err != nil {
		s.abortExport(c, err)
		return
	}
	if err := zw.Close(); err != nil {
		s.abortExport(c, err)
	}
}

// exportFile is one file of an export as the registry recorded it.
type exportFile struct {
	name   string // inside the organization's folder
	key    string
	sha256 string
	size   int64     // -1: not recorded (signatures)
	at     time.Time // when it was made: the signing, the signature's arrival
}

// exportItem is one signed order of an export with its files.
type exportItem struct {
	o    *registry.Order
	pdf  exportFile
	sigs []exportFile // detached CMS signatures
}

// walkExport calls visit for every signed order that f selects, in the registry's order, one
// page of the registry at a time, with its detached signatures. Orders signed, and signatures
// added, after cutoff are left out, so that two walks of one export agree.
func (s *Server) walkExport(ctx context.Context, f registry.Filter, cutoff time.Time, visit func(*exportItem) error) error {
	f.Limit = registry.MaxLimit
	f.Cursor = ""
	taken := map[string]bool{} // file names in the ZIP: two orders may share number and date
	for {
		page, next, err := s.records.ListOrders(ctx, f)
		if err != nil {
			return err
		}
		for i := range page {
			o := &page[i]
			if o.SignedKey == "" || o.SignedAt != nil && o.SignedAt.After(cutoff) {
				continue
			}
			name := safe(fileName(o, "pdf"))
			for n := 2; taken[o.OrgID+"/"+name]; n++ {
				name = safe(strings.TrimSuffix(fileName(o, "pdf"), ".pdf") + fmt.Sprintf(" (%d).pdf", n))
			}
			taken[o.OrgID+"/"+name] = true
			it := &exportItem{o: o, pdf: exportFile{name: name, key: o.SignedKey, sha256: o.SignedSHA256, size: o.SignedSize, at: signedAt(o)}}
			sigs, err := s.records.ListSignatures(ctx, o.OrgID, o.ID)
			if err != nil {
				return err
			}
			for _, sg := range sigs {
				if sg.Kind != registry.SignatureDetachedCMS || sg.CreatedAt.After(cutoff) {
					continue
				}
				it.sigs = append(it.sigs, exportFile{
					name: fmt.Sprintf("%s.%d.sig", strings.TrimSuffix(name, ".pdf"), len(it.sigs)+1),
					key:  sg.Key, sha256: sg.SHA256, size: -1, at: sg.CreatedAt,
				})
			}
			if err := visit(it); err != nil {
				return err
			}
		}
		if next == "" {
			return nil
		}
		f.Cursor = next
	}
}

// exportManifest is one organization's part of an export: counts and its SHA256SUMS.
type exportManifest struct {
	orders, files int
	h             hash.Hash
	lines         *bytes.Buffer // the SHA256SUMS text, kept only when it is written out
}

func manifestOf(m map[string]*exportManifest, org string, keep bool) *exportManifest {
	if m[org] == nil {
		m[org] = &exportManifest{h: sha256.New()}
		if keep {
			m[org].lines = &bytes.Buffer{}
		}
	}
	return m[org]
}

func (m *exportManifest) add(it *exportItem) {
	m.orders++
	for _, f := range append([]exportFile{it.pdf}, it.sigs...) {
		m.files++
		// sha256sum's format: hash, two spaces (text mode), the path from the folder.
		line := f.sha256 + "  " + f.name + "\n"
		m.h.Write([]byte(line))
		if m.lines != nil {
			m.lines.WriteString(line)
		}
	}
}

// sum is the SHA-256 of the organization's SHA256SUMS file.
func (m *exportManifest) sum() string { return hex.EncodeToString(m.h.Sum(nil)) }

// copyVerified writes one stored document into the ZIP as it reads it. The document must
// hash to what the registry recorded and have the recorded size; the store checks it against
// its key as well. PDFs and signatures do not shrink, so they are stored, not deflated.
func (s *Server) copyVerified(ctx context.Context, zw *zip.Writer, name string, f exportFile, buf []byte) error {
	rc, size, err := s.cfg.Blobs.Open(ctx, f.key)
	if err != nil {
		return err
	}
	defer rc.Close()
	if f.size >= 0 && size != f.size {
		return fmt.Errorf("%w: %s is %d bytes, the registry recorded %d", blob.ErrCorrupt, f.key, size, f.size)
	}
	w, err := zw.CreateHeader(zipHeader(name, zip.Store, f.at))
	if err != nil {
		return errClient{err}
	}
	r := blob.VerifyingReader(rc, f.sha256, size)
	for {
		n, rerr := r.Read(buf)
		if n > 0 {
			if _, err := w.Write(buf[:n]); err != nil {
				return errClient{err}
			}
		}
		if rerr == io.EOF {
			return nil
		}
		if rerr != nil {
			return rerr
		}
	}
}

func writeEntry(zw *zip.Writer, name string, method uint16, data []byte, at time.Time) error {
	w, err := zw.CreateHeader(zipHeader(name, method, at))
	if err == nil {
		_, err = w.Write(data)
	}
	if err != nil {
		return errClient{err}
	}
	return nil
}

// zipHeader is a ZIP entry dated by its document, in Moscow time: unzip and Explorer show
// the MS-DOS time as it is, so a UTC time would be three hours off. The Cyrillic name
// gets the UTF-8 flag (archive/zip sets it for any name that is not ASCII).
func zipHeader(name string, method uint16, at time.Time) *zip.FileHeader {
	return &zip.FileHeader{Name: name, Method: method, Modified: at.In(ru.Moscow)}
}

func signedAt(o *registry.Order) time.Time {
	if o.SignedAt != nil {
		return *o.SignedAt
	}
	return o.UpdatedAt
}

// orgNames maps organization ids to their names for the registers a person reads; an
// organization that cannot be read keeps its id.
func (s *Server) orgNames(ctx context.Context) map[string]string {
	names := map[string]string{}
	list, err := s.orgs.ListOrganizations(ctx)
	if err != nil {
		s.log.Warn("organization names", "err", err)
	}
	for _, o := range list {
		names[o.ID] = o.Name
	}
	return names
}

func nameOr(names map[string]string, id string) string {
	if n := names[id]; n != "" {
		return n
	}
	return id
}

// errClient is a failure to write to the client, which has most likely hung up.
type errClient struct{ error }

func (e errClient) Unwrap() error { return e.error }

// csvRow is an order's line of реестр.csv; a cancelled order says when, why and by whom in
// «отменён», an order registered elsewhere says so in «импортирован».
func csvRow(it *exportItem, orgNames map[string]string) []string {
	o := it.o
	sigs := make([]string, len(it.sigs))
	for i, sg := range it.sigs {
		sigs[i] = sg.name
	}
	cancelled := ""
	if o.State == registry.StateCancelled && o.CancelledAt != nil {
		cancelled = ru.NumericDate(o.CancelledAt.In(ru.Moscow)) + " — " + o.CancelReason
		if o.CancelledBy != "" {
			cancelled += " (" + auth.ActorName(o.CancelledBy) + ")"
		}
	}
	imported := ""
	if o.Imported {
		imported = "да" // registered elsewhere; number and date as given at the import
	}
	return []string{o.Number, ru.NumericDay(o.Date), o.Title, o.Kind, o.Signatory, nameOr(orgNames, o.OrgID), o.SignedSHA256,
		safe(o.OrgID) + "/" + it.pdf.name, strings.Join(sigs, ", "), cancelled, imported}
}

// abortExport ends an export that failed while streaming. While nothing has reached the
// client (the ZIP writer buffers its first kilobytes) the answer is still a problem; after
// that the only honest answer left is a cut connection, so that the client sees a failed
// download and not a short archive. A document that failed its check is counted like any
// other integrity failure.
func (s *Server) abortExport(c *gin.Context, err error) {
	var ce errClient
	corrupt := errors.Is(err, blob.ErrCorrupt)
	switch {
	case errors.As(err, &ce), errors.Is(err, context.Canceled):
		s.log.Info("export not finished: the client went away", "err", err)
	case corrupt:
		s.integrity.Inc()
		s.log.Error("export stopped: a stored document does not match its SHA-256", "err", err)
	default:
		s.log.Error("export stopped", "err", err)
	}
	if !c.Writer.Written() {
		c.Writer.Header().Del("Content-Disposition")
		detail := "выгрузка прервана: один из документов не читается; подробности в журнале сервера"
		if corrupt {
			detail = "выгрузка прервана: хранимый документ не совпадает со своим SHA-256 и не выдаётся; подробности в журнале сервера"
		}
		problem(c, http.StatusInternalServerError, detail)
		return
	}
	c.Abort()
	// gin refuses to hijack once the body has begun; the server's own writer does not.
	w := http.ResponseWriter(c.Writer)
	if u, ok := w.(interface{ Unwrap() http.ResponseWriter }); ok {
		w = u.Unwrap()
	}
	if conn, _, herr := http.NewResponseController(w).Hijack(); herr == nil {
		conn.Close()
		return
	}
	// HTTP/2 cannot be hijacked; net/http resets the stream for this panic (the recover
	// middleware must let it through).
	panic(http.ErrAbortHandler)
}

// safe keeps a file name inside its folder of the archive.
func safe(name string) string {
	return strings.NewReplacer("/", "_", "\\", "_", "..", "_").Replace(name)
}

type auditView struct {
	Seq      int64      `json:"seq"`
	At       time.Time  `json:"at"`
	Actor    string     `json:"actor"`
	Action   string     `json:"action"`
	OrderID  *uuid.UUID `json:"order_id,omitempty"`
	Details  any        `json:"details,omitempty"`
	Hash     string     `json:"hash"`
	PrevHash string     `json:"prev_hash,omitempty"`
}

func auditViews(list []registry.AuditEntry) []auditView {
	out := make([]auditView, len(list))
	for i, e := range list {
		out[i] = auditView{Seq: e.Seq, At: e.At, Actor: e.Actor, Action: e.Action, OrderID: e.OrderID, Hash: e.Hash, PrevHash: e.PrevHash}
		if len(e.Details) > 0 {
			out[i].Details = jsonRaw(e.Details)
		}
	}
	return out
}

type jsonRaw []byte

func (j jsonRaw) MarshalJSON() ([]byte, error) { return j, nil }

// auditOrg is the organization whose trail the caller reads: its own, or for an admin the
// one named by ?organization=.
func auditOrg(c *gin.Context) (string, bool) {
	if org := who(c).orgID; org != "" {
		return org, true
	}
	if org := c.Query("organization"); org != "" {
		return org, true
	}
	problem(c, http.StatusBadRequest, msgAdminOrg)
	return "", false
}

func (s *Server) listAudit(c *gin.Context) {
	org, ok := auditOrg(c)
	if !ok {
		return
	}
	list, err := s.records.ListAudit(c.Request.Context(), org, nil, registry.MaxLimit)
	if err != nil {
		s.storeError(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"entries": auditViews(list)})
}

func (s *Server) orderAudit(c *gin.Context) {
	o, ok := s.loadOrder(c)
	if !ok {
		return
	}
	id := o.ID
	list, err := s.records.ListAudit(c.Request.Context(), o.OrgID, &id, registry.MaxLimit)
	if err != nil {
		s.storeError(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"entries": auditViews(list)})
}
