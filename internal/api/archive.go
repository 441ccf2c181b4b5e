package api

import (
	"archive/zip"
	"encoding/csv"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"orders/internal/registry"
)

// filterFromQuery reads the archive's search parameters; it has answered when ok is false.
func filterFromQuery(c *gin.Context) (f registry.Filter, ok bool) {
	q := c.Request.URL.Query()
	f = registry.Filter{
		OrgID: who(c).orgID, Kind: q.Get("kind"), Status: registry.Status(q.Get("status")),
		State: registry.State(q.Get("state")), Number: q.Get("number"), Signatory: q.Get("signatory"),
		DateFrom: q.Get("date_from"), DateTo: q.Get("date_to"), Text: q.Get("title"), FullText: q.Get("q"),
		Cursor: q.Get("cursor"),
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
	list, next, err := s.cfg.Store.ListOrders(c.Request.Context(), f)
	if err != nil {
		s.storeError(c, err)
		return
	}
	views := make([]orderView, len(list))
	for i := range list {
		views[i] = view(&list[i])
	}
	c.JSON(http.StatusOK, gin.H{"orders": views, "next_cursor": next})
}

// export streams a ZIP of the signed orders of a date range: each signed PDF, its
// signatures, and a registry CSV that Russian Excel opens as is (UTF-8 with BOM, «;»).
func (s *Server) export(c *gin.Context) {
	f, ok := filterFromQuery(c)
	if !ok {
		return
	}
	if f.DateFrom == "" || f.DateTo == "" {
		problem(c, http.StatusBadRequest, "date_from и date_to обязательны: выгрузка делается за период")
		return
	}
	ctx := c.Request.Context()
	var orders []registry.Order
	f.Limit = registry.MaxLimit
	for {
		page, next, err := s.cfg.Store.ListOrders(ctx, f)
		if err != nil {
			s.storeError(c, err)
			return
		}
		for _, o := range page {
			if o.SignedKey != "" {
				orders = append(orders, o)
			}
		}
		if next == "" {
			break
		}
		f.Cursor = next
	}
	// Check every document before the first byte goes out: a corrupt file must be an error,
	// not a silently truncated archive.
	docs := make([][]byte, len(orders))
	for i := range orders {
		data, err := s.readVerified(ctx, orders[i].SignedKey, orders[i].SignedSHA256)
		if err != nil {
			s.integrityError(c, orders[i].ID, err)
			return
		}
		docs[i] = data
	}
	name := fmt.Sprintf("архив %s — %s.zip", f.DateFrom, f.DateTo)
	c.Header("Content-Type", "application/zip")
	c.Header("Content-Disposition", contentDisposition(name))
	c.Status(http.StatusOK)
	zw := zip.NewWriter(c.Writer)
	rows := [][]string{}
	rows = append(rows, []string{"номер", "дата", "заголовок", "вид", "подписант", "организация", "SHA-256", "файл"})
	for i := range orders {
		o := &orders[i]
		file := fmt.Sprintf("%s/%s", safe(o.OrgID), safe(fileName(o, "pdf")))
		w, err := zw.Create(file)
		if err == nil {
			_, err = w.Write(docs[i])
		}
		if err != nil {
			s.log.Error("export", "err", err)
			return
		}
		sigs, err := s.cfg.Store.ListSignatures(ctx, o.OrgID, o.ID)
		if err == nil {
			for j, sg := range sigs {
				if sg.Kind == registry.SignatureDetachedCMS {
					if data, err := s.cfg.Blobs.Get(ctx, sg.Key); err == nil {
						if w, err := zw.Create(fmt.Sprintf("%s.%d.sig", strings.TrimSuffix(file, ".pdf"), j+1)); err == nil {
							_, _ = w.Write(data)
						}
					}
				}
			}
		}
		date := o.Date
		if t, err := time.Parse(time.DateOnly, o.Date); err == nil {
			date = t.Format("02.01.2006")
		}
		rows = append(rows, []string{o.Number, date, o.Title, o.Kind, o.Signatory, o.OrgID, o.SignedSHA256, file})
	}
	w, err := zw.Create("реестр.csv")
	if err != nil {
		return
	}
	_, _ = w.Write([]byte("\ufeff"))
	cw := csv.NewWriter(w)
	cw.Comma = ';'
	cw.UseCRLF = true
	_ = cw.WriteAll(rows)
	_ = zw.Close()
	entry := auditEntry(c, "export", map[string]any{"date_from": f.DateFrom, "date_to": f.DateTo, "orders": len(orders)})
	entry.OrgID = who(c).orgID
	if entry.OrgID != "" {
		_ = s.cfg.Store.AppendAudit(ctx, entry)
	}
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
	list, err := s.cfg.Store.ListAudit(c.Request.Context(), org, nil, registry.MaxLimit)
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
	list, err := s.cfg.Store.ListAudit(c.Request.Context(), o.OrgID, &id, registry.MaxLimit)
	if err != nil {
		s.storeError(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"entries": auditViews(list)})
}
