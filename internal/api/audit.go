package api

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"orders/internal/audit"
	"orders/internal/registry"
	"orders/internal/ru"
)

const msgNoAuditKey = "у сервиса нет секретного ключа (ORDERS_SECRET_KEY), из которого выводятся ключи журнала действий: проверить контрольную точку нельзя"

type checkpointView struct {
	State         string     `json:"state"` // valid, absent, tampered
	Seq           int64      `json:"seq,omitempty"`
	Hash          string     `json:"hash,omitempty"`
	LegacyThrough int64      `json:"legacy_through,omitempty"`
	At            *time.Time `json:"at,omitempty"`
	Detail        string     `json:"detail"`
}

type verifyView struct {
	Organization string `json:"organization"`
	Intact       bool   `json:"intact"`
	// BrokenAt is the number (seq) of the first entry that does not check out; Problem says
	// how, Detail says it in words.
	BrokenAt       int64          `json:"broken_at,omitempty"`
	Problem        string         `json:"problem,omitempty"`
	Detail         string         `json:"detail"`
	CheckedThrough int64          `json:"checked_through"` // the last entry that checked out
	Checkpoint     checkpointView `json:"checkpoint"`
}

func viewOf(v audit.Verdict) verifyView {
	r := v.Report
	out := verifyView{Organization: v.Organization, Intact: v.Intact(), CheckedThrough: r.HeadSeq,
		Checkpoint: checkpointView{State: v.State}}
	if cp := v.Checkpoint; cp != nil {
		at := cp.At
		out.Checkpoint.Seq, out.Checkpoint.Hash, out.Checkpoint.LegacyThrough, out.Checkpoint.At = cp.Seq, cp.Hash, cp.LegacyThrough, &at
	}
	switch v.State {
	case audit.CheckpointValid:
		out.Checkpoint.Detail = fmt.Sprintf("контрольная точка от %s удостоверяет записи по № %d; её подпись верна", ru.DateTimeZone(v.Checkpoint.At), v.Checkpoint.Seq)
	case audit.CheckpointAbsent:
		out.Checkpoint.Detail = "контрольной точки ещё нет: цепочка проверена только по базе данных, а удаление последних записей так не видно"
	case audit.CheckpointTampered:
		out.Checkpoint.Detail = "контрольная точка в хранилище документов подделана или повреждена: её подпись не сходится с ключом сервиса; цепочка проверена только по базе данных"
	}
	if !r.OK {
		out.BrokenAt, out.Problem = r.BrokenAt, r.Problem
	}
	switch {
	case !r.OK:
		out.Detail = brokenDetail(r, v.Checkpoint)
	case v.State == audit.CheckpointTampered:
		out.Detail = "записи журнала сходятся между собой, но контрольная точка подделана: " + out.Checkpoint.Detail
	default:
		out.Detail = fmt.Sprintf("журнал цел: проверено записей: %d, все сходятся", r.HeadSeq)
	}
	return out
}

// brokenDetail says where and how the chain breaks, in words.
func brokenDetail(r registry.AuditReport, cp *audit.Checkpoint) string {
	n := r.BrokenAt
	switch r.Problem {
	case registry.AuditMissing:
		return fmt.Sprintf("записи № %d нет: она удалена из журнала", n)
	case registry.AuditBeyondHead:
		return fmt.Sprintf("запись № %d и следующие добавлены в обход сервиса", n)
	case registry.AuditHeadMismatch:
		return fmt.Sprintf("последняя запись журнала (№ %d) не та, что сервис записал последней", n)
	case registry.AuditUnkeyedAfter:
		return fmt.Sprintf("запись № %d пересчитана без ключа журнала: так пишутся только записи, сделанные до введения ключа", n)
	case registry.AuditCut:
		if cp != nil {
			return fmt.Sprintf("журнал обрывается перед записью № %d, а контрольная точка от %s удостоверяет записи по № %d: записи с № %d удалены", n, ru.DateTimeZone(cp.At), cp.Seq, n)
		}
		return fmt.Sprintf("записи с № %d удалены", n)
	case registry.AuditAnchorHash:
		if cp != nil {
			return fmt.Sprintf("запись № %d не та, что удостоверена контрольной точкой от %s: журнал переписан на ней или до неё", n, ru.DateTimeZone(cp.At))
		}
	}
	return fmt.Sprintf("запись № %d изменена после того, как была сделана: её хеш или связь с предыдущей записью не сходится", n)
}

// verifyAudit says whether the organization's audit trail is intact, checked entry by entry
// with the key and against the latest checkpoint kept outside the database, and if not,
// where it breaks and how.
func (s *Server) verifyAudit(c *gin.Context) {
	org, ok := auditOrg(c)
	if !ok {
		return
	}
	cp := s.checkpoints
	if cp == nil {
		problem(c, http.StatusInternalServerError, msgNoAuditKey)
		return
	}
	v, err := cp.Verify(c.Request.Context(), org)
	if err != nil {
		s.auditError(c, err)
		return
	}
	if !v.Intact() {
		s.log.Error("audit trail does not check out", "organization", org, "broken_at", v.Report.BrokenAt,
			"problem", v.Report.Problem, "checkpoint", v.State, "why", v.Why)
	}
	c.JSON(http.StatusOK, viewOf(v))
}

// writeCheckpoint writes a checkpoint of the organization's audit trail now: 201 with it, or
// 200 with the latest when that already names the head. A trail that does not check out
// gets none (409): a checkpoint would vouch for the tampering.
func (s *Server) writeCheckpoint(c *gin.Context) {
	org, ok := auditOrg(c)
	if !ok {
		return
	}
	cpr := s.checkpoints
	if cpr == nil {
		problem(c, http.StatusInternalServerError, msgNoAuditKey)
		return
	}
	cp, written, v, err := cpr.Write(c.Request.Context(), org)
	if errors.Is(err, audit.ErrNotIntact) {
		problem(c, http.StatusConflict, "контрольная точка не записана: "+viewOf(v).Detail)
		return
	}
	if err != nil {
		s.auditError(c, err)
		return
	}
	status := http.StatusOK
	if written {
		status = http.StatusCreated
	}
	at := cp.At
	c.JSON(status, gin.H{"organization": org, "written": written, "checkpoint": checkpointView{
		State: audit.CheckpointValid, Seq: cp.Seq, Hash: cp.Hash, LegacyThrough: cp.LegacyThrough, At: &at,
		Detail: fmt.Sprintf("контрольная точка от %s удостоверяет записи по № %d", ru.DateTimeZone(cp.At), cp.Seq),
	}})
}

func (s *Server) auditError(c *gin.Context, err error) {
	if errors.Is(err, registry.ErrNoAuditKey) {
		s.log.Error("audit", "err", err)
		problem(c, http.StatusInternalServerError, "реестр открыт без ключа журнала действий, а записи журнала подписаны ключом: проверить их нельзя; подробности записаны в журнал сервера")
		return
	}
	s.storeError(c, err)
}
