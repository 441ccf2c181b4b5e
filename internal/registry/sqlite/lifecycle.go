package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/google/uuid"

	"orders/internal/registry"
	"orders/internal/registry/internal/driver"
)

var (
	qJournalFormat = stmt(`SELECT format FROM journals WHERE org_id = ?1 AND id = ?2`)
	// The right-hand sides read the row as it was, so last becomes the last number issued now.
	qTakeSeqs = stmt(`INSERT INTO journal_counters (org_id, journal_id, year, next, last)
		VALUES (?1, ?2, ?3, 1 + ?4, ?4)
		ON CONFLICT (org_id, journal_id, year) DO UPDATE SET next = next + ?4, last = next + ?4 - 1
		RETURNING last`)
	qAuditHead   = stmt(`SELECT seq, hash FROM audit_heads WHERE org_id = ?1`)
	qAuditScheme = stmt(`SELECT scheme FROM audit WHERE org_id = ?1 AND seq = ?2`)
	qInsertAudit = stmt(`INSERT INTO audit (org_id, seq, at, actor, action, order_id, details, prev_hash, hash, scheme)
		VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)`)
	qPutAuditHead = stmt(`INSERT INTO audit_heads (org_id, seq, hash) VALUES (?1, ?2, ?3)
		ON CONFLICT (org_id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash`)
	qOrderState = stmt(`SELECT state FROM orders WHERE id = ?1 AND (?2 = '' OR org_id = ?2)`)
)

// txOps gives the shared lifecycle rules what they need inside modify's transaction. Every
// write transaction is begun immediate, so it holds the database's write lock throughout:
// counters and audit heads need no row locks here, one writer at a time is the lock.
type txOps struct {
	tx  querier
	key []byte // the audit key, if the store has it
}

func (t txOps) TakeSeqs(ctx context.Context, orgID, journalID string, year, n int) (int, string, error) {
	var format string
	err := t.tx.QueryRowContext(ctx, qJournalFormat, orgID, journalID).Scan(&format)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "", fmt.Errorf("%w: unknown journal %q", registry.ErrInvalid, journalID)
	}
	if err != nil {
		return 0, "", fmt.Errorf("registry/sqlite: journal: %w", err)
	}
	var last int
	err = t.tx.QueryRowContext(ctx, qTakeSeqs, orgID, journalID, year, n).Scan(&last)
	if err != nil {
		return 0, "", fmt.Errorf("registry/sqlite: take number: %w", err)
	}
	return last - n + 1, format, nil
}

func (t txOps) AppendAudit(ctx context.Context, e *registry.AuditEntry, now time.Time) error {
	return appendAudit(ctx, t.tx, t.key, e, now)
}

func (t txOps) InsertSignature(ctx context.Context, sig *registry.Signature) error {
	return insertSignature(ctx, t.tx, sig)
}

func (t txOps) RegisterKey(ctx context.Context, id uuid.UUID) (string, error) {
	var key string
	if err := t.tx.QueryRowContext(ctx, `SELECT register_key FROM orders WHERE id = ?1`, id.String()).Scan(&key); err != nil {
		return "", fmt.Errorf("registry/sqlite: register key: %w", err)
	}
	return key, nil
}

func (t txOps) SetRegisterKey(ctx context.Context, id uuid.UUID, key string) error {
	if _, err := t.tx.ExecContext(ctx, `UPDATE orders SET register_key = ?2 WHERE id = ?1`, id.String(), key); err != nil {
		return fmt.Errorf("registry/sqlite: register key: %w", err)
	}
	return nil
}

// RegisterOrder implements registry.Lifecycle.
func (s *Store) RegisterOrder(ctx context.Context, orgID string, id uuid.UUID, r registry.RegisterRequest) (*registry.Order, error) {
	m, err := driver.Register(r)
	if err != nil {
		return nil, err
	}
	o, _, err := s.modify(ctx, orgID, id, m)
	return o, err
}

// Sign implements registry.Lifecycle.
func (s *Store) Sign(ctx context.Context, orgID string, id uuid.UUID, r registry.SignRequest) (*registry.Order, error) {
	m, err := driver.Sign(r, driver.Now())
	if err != nil {
		return nil, err
	}
	o, _, err := s.modify(ctx, orgID, id, m)
	return o, err
}

// Cancel implements registry.Lifecycle.
func (s *Store) Cancel(ctx context.Context, orgID string, id uuid.UUID, r registry.CancelRequest) (*registry.Order, error) {
	m, err := driver.Cancel(r)
	if err != nil {
		return nil, err
	}
	o, _, err := s.modify(ctx, orgID, id, m)
	return o, err
}

// PutJournal implements registry.Journals.
func (s *Store) PutJournal(ctx context.Context, j *registry.Journal) error {
	return s.PutJournalWithStarts(ctx, j, nil)
}

// PutJournalWithStarts implements registry.Journals.
func (s *Store) PutJournalWithStarts(ctx context.Context, j *registry.Journal, starts []registry.JournalStart) error {
	if err := driver.PrepareJournal(j, driver.Now()); err != nil {
		return err
	}
	starts, err := driver.SortStarts(starts)
	if err != nil {
		return err
	}
	var created string
	err = s.write(ctx, func(tx txq) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO journals (org_id, id, name, format, created_at, updated_at)
			VALUES (?1, ?2, ?3, ?4, ?5, ?5)
			ON CONFLICT (org_id, id) DO UPDATE SET name = excluded.name, format = excluded.format, updated_at = excluded.updated_at
			RETURNING created_at`, j.OrgID, j.ID, j.Name, j.Format, fmtTime(j.UpdatedAt)).Scan(&created)
		if err != nil {
			return fmt.Errorf("registry/sqlite: put journal: %w", err)
		}
		for _, st := range starts {
			if err := setStart(ctx, tx, j.OrgID, j.ID, st); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	j.CreatedAt, err = parseTime(created)
	return err
}

// GetJournal implements registry.Journals.
func (s *Store) GetJournal(ctx context.Context, orgID, id string) (*registry.Journal, error) {
	list, err := s.journals(ctx, orgID, id)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, registry.ErrNotFound
	}
	return &list[0], nil
}

// ListJournals implements registry.Journals.
func (s *Store) ListJournals(ctx context.Context, orgID string) ([]registry.Journal, error) {
	return s.journals(ctx, orgID, "")
}

// journals reads the journals of orgID (only id, if not ""), with their years.
func (s *Store) journals(ctx context.Context, orgID, id string) ([]registry.Journal, error) {
	rows, err := s.r().QueryContext(ctx, `SELECT j.org_id, j.id, j.name, j.format, j.created_at, j.updated_at, c.year, c.next
		FROM journals j LEFT JOIN journal_counters c ON c.org_id = j.org_id AND c.journal_id = j.id
		WHERE j.org_id = ?1 AND (?2 = '' OR j.id = ?2)
		ORDER BY j.id, c.year`, orgID, id)
	if err != nil {
		return nil, fmt.Errorf("registry/sqlite: journals: %w", err)
	}
	defer rows.Close()
	var out []registry.Journal
	for rows.Next() {
		var j registry.Journal
		var created, updated string
		var year, next sql.NullInt64
		if err := rows.Scan(&j.OrgID, &j.ID, &j.Name, &j.Format, &created, &updated, &year, &next); err != nil {
			return nil, fmt.Errorf("registry/sqlite: journals: %w", err)
		}
		if n := len(out); n == 0 || out[n-1].ID != j.ID {
			if j.CreatedAt, err = parseTime(created); err != nil {
				return nil, err
			}
			if j.UpdatedAt, err = parseTime(updated); err != nil {
				return nil, err
			}
			out = append(out, j)
		}
		if year.Valid {
			last := &out[len(out)-1]
			last.Years = append(last.Years, registry.JournalStart{Year: int(year.Int64), Next: int(next.Int64)})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("registry/sqlite: journals: %w", err)
	}
	return out, nil
}

// SetJournalStart implements registry.Journals.
func (s *Store) SetJournalStart(ctx context.Context, orgID, journalID string, start registry.JournalStart) error {
	if err := driver.CheckJournalStart(start); err != nil {
		return err
	}
	return s.write(ctx, func(tx txq) error {
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM journals WHERE org_id = ?1 AND id = ?2`, orgID, journalID).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return registry.ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("registry/sqlite: journal: %w", err)
		}
		return setStart(ctx, tx, orgID, journalID, start)
	})
}

// setStart sets the next number of an existing journal in a year inside a write
// transaction, which (immediate) already excludes every registration.
func setStart(ctx context.Context, tx txq, orgID, journalID string, start registry.JournalStart) error {
	var last int
	err := tx.QueryRowContext(ctx, `SELECT last FROM journal_counters WHERE org_id = ?1 AND journal_id = ?2 AND year = ?3`,
		orgID, journalID, start.Year).Scan(&last)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("registry/sqlite: journal counter: %w", err)
	}
	if last >= start.Next {
		return driver.StartConflict(start, last)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO journal_counters (org_id, journal_id, year, next, last) VALUES (?1, ?2, ?3, ?4, 0)
		ON CONFLICT (org_id, journal_id, year) DO UPDATE SET next = excluded.next`, orgID, journalID, start.Year, start.Next)
	if err != nil {
		return fmt.Errorf("registry/sqlite: set journal start: %w", err)
	}
	return nil
}

// appendAudit appends e to its chain, keyed by key if not nil; q must be a write
// transaction (which, immediate, already excludes every other appender).
func appendAudit(ctx context.Context, q querier, key []byte, e *registry.AuditEntry, now time.Time) error {
	var seq int64
	var hash string
	err := q.QueryRowContext(ctx, qAuditHead, e.OrgID).Scan(&seq, &hash)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("registry/sqlite: audit head: %w", err)
	}
	if len(key) == 0 && seq > 0 {
		var scheme int
		err := q.QueryRowContext(ctx, qAuditScheme, e.OrgID, seq).Scan(&scheme)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("registry/sqlite: audit head: %w", err)
		}
		if err := driver.NeedKey(scheme); err != nil {
			return err
		}
	}
	driver.ChainAudit(e, seq, hash, now, key)
	_, err = q.ExecContext(ctx, qInsertAudit,
		e.OrgID, e.Seq, fmtTime(e.At), e.Actor, e.Action, uuidPtr(e.OrderID), e.Details, e.PrevHash, e.Hash, e.Scheme)
	if err != nil {
		return fmt.Errorf("registry/sqlite: append audit: %w", err)
	}
	_, err = q.ExecContext(ctx, qPutAuditHead, e.OrgID, e.Seq, e.Hash)
	if err != nil {
		return fmt.Errorf("registry/sqlite: audit head: %w", err)
	}
	return nil
}

// AppendAudit implements registry.AuditTrail.
func (s *Store) AppendAudit(ctx context.Context, e *registry.AuditEntry) error {
	if err := driver.CheckAudit(e); err != nil {
		return err
	}
	return s.write(ctx, func(tx txq) error { return appendAudit(ctx, tx, s.auditKey, e, driver.Now()) })
}

const auditCols = "org_id, seq, at, actor, action, order_id, details, prev_hash, hash, scheme"

func scanAudit(row scanner) (*registry.AuditEntry, error) {
	var e registry.AuditEntry
	var at string
	var order sql.NullString
	if err := row.Scan(&e.OrgID, &e.Seq, &at, &e.Actor, &e.Action, &order, &e.Details, &e.PrevHash, &e.Hash, &e.Scheme); err != nil {
		return nil, fmt.Errorf("registry/sqlite: scan audit: %w", err)
	}
	var err error
	if e.At, err = parseTime(at); err != nil {
		return nil, err
	}
	if order.Valid {
		id, err := uuid.Parse(order.String)
		if err != nil {
			return nil, fmt.Errorf("registry/sqlite: stored audit order id %q: %w", order.String, err)
		}
		e.OrderID = &id
	}
	return &e, nil
}

// ListAudit implements registry.AuditTrail.
func (s *Store) ListAudit(ctx context.Context, orgID string, orderID *uuid.UUID, limit int) ([]registry.AuditEntry, error) {
	query := `SELECT ` + auditCols + ` FROM audit WHERE org_id = ?1`
	args := []any{orgID}
	if orderID != nil {
		query += ` AND order_id = ?2`
		args = append(args, orderID.String())
	}
	rows, err := s.r().QueryContext(ctx, query+fmt.Sprintf(` ORDER BY seq DESC LIMIT %d`, driver.Limit(limit)), args...)
	if err != nil {
		return nil, fmt.Errorf("registry/sqlite: list audit: %w", err)
	}
	defer rows.Close()
	var out []registry.AuditEntry
	for rows.Next() {
		e, err := scanAudit(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("registry/sqlite: list audit: %w", err)
	}
	return out, nil
}

// VerifyAudit implements registry.AuditTrail.
func (s *Store) VerifyAudit(ctx context.Context, orgID string) (bool, int64, error) {
	r, err := s.VerifyAuditChain(ctx, orgID, nil)
	return r.OK, r.BrokenAt, err
}

// VerifyAuditChain implements registry.AuditTrail.
func (s *Store) VerifyAuditChain(ctx context.Context, orgID string, anchor *registry.AuditAnchor) (registry.AuditReport, error) {
	// One read transaction: a snapshot in which the head and the entries agree, while
	// appends go on.
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return registry.AuditReport{}, fmt.Errorf("registry/sqlite: begin: %w", err)
	}
	defer tx.Rollback()
	var headSeq int64
	var headHash string
	err = tx.QueryRowContext(ctx, `SELECT seq, hash FROM audit_heads WHERE org_id = ?1`, orgID).Scan(&headSeq, &headHash)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return registry.AuditReport{}, fmt.Errorf("registry/sqlite: audit head: %w", err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+auditCols+` FROM audit WHERE org_id = ?1 ORDER BY seq`, orgID)
	if err != nil {
		return registry.AuditReport{}, fmt.Errorf("registry/sqlite: verify audit: %w", err)
	}
	defer rows.Close()
	c := driver.ChainCheck{Key: s.auditKey, Anchor: anchor}
	for rows.Next() {
		e, err := scanAudit(rows)
		if err != nil {
			return registry.AuditReport{}, err
		}
		if !c.Add(e) {
			break
		}
	}
	if err := rows.Err(); err != nil {
		return registry.AuditReport{}, fmt.Errorf("registry/sqlite: verify audit: %w", err)
	}
	return c.Report(headSeq, headHash)
}

// AuditHeads implements registry.AuditTrail.
func (s *Store) AuditHeads(ctx context.Context) ([]string, error) {
	rows, err := s.r().QueryContext(ctx, `SELECT org_id FROM audit_heads ORDER BY org_id`)
	if err != nil {
		return nil, fmt.Errorf("registry/sqlite: audit heads: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var org string
		if err := rows.Scan(&org); err != nil {
			return nil, fmt.Errorf("registry/sqlite: audit heads: %w", err)
		}
		out = append(out, org)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("registry/sqlite: audit heads: %w", err)
	}
	return out, nil
}

func insertSignature(ctx context.Context, q querier, sig *registry.Signature) error {
	_, err := q.ExecContext(ctx, `INSERT INTO signatures (id, order_id, kind, key, sha256, signer, serial, valid_from, valid_to, verified, trust, created_at)
		VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)`,
		sig.ID.String(), sig.OrderID.String(), sig.Kind, sig.Key, sig.SHA256, sig.Signer, sig.Serial,
		fmtTimePtr(sig.ValidFrom), fmtTimePtr(sig.ValidTo), sig.Verified, sig.Trust, fmtTime(sig.CreatedAt))
	if isUnique(err) {
		return fmt.Errorf("%w: signature %s exists", registry.ErrConflict, sig.ID)
	}
	if err != nil {
		return fmt.Errorf("registry/sqlite: add signature: %w", err)
	}
	return nil
}

// orderState reads the state of an order as seen through orgID.
func orderState(ctx context.Context, q querier, orgID string, id uuid.UUID) (registry.State, error) {
	var state string
	err := q.QueryRowContext(ctx, qOrderState, id.String(), orgID).Scan(&state)
	if errors.Is(err, sql.ErrNoRows) {
		return "", registry.ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("registry/sqlite: order state: %w", err)
	}
	return registry.State(state), nil
}

// AddSignature implements registry.Signatures.
func (s *Store) AddSignature(ctx context.Context, orgID string, sig *registry.Signature, audit *registry.AuditEntry) error {
	now := driver.Now()
	if err := driver.PrepareSignature(sig, now); err != nil {
		return err
	}
	return s.write(ctx, func(tx txq) error {
		var state, org string
		err := tx.QueryRowContext(ctx, `SELECT state, org_id FROM orders WHERE id = ?1 AND (?2 = '' OR org_id = ?2)`,
			sig.OrderID.String(), orgID).Scan(&state, &org)
		if errors.Is(err, sql.ErrNoRows) {
			return registry.ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("registry/sqlite: order state: %w", err)
		}
		if err := driver.CheckLifecycle(registry.State(state), "add a signature to", registry.StateRegistered, registry.StateSigned); err != nil {
			return err
		}
		if err := insertSignature(ctx, tx, sig); err != nil {
			return err
		}
		if err := driver.PrepareSignatureAudit(audit, org, sig); err != nil {
			return err
		}
		if audit == nil {
			return nil
		}
		return appendAudit(ctx, tx, s.auditKey, audit, now)
	})
}

// ListSignatures implements registry.Signatures.
func (s *Store) ListSignatures(ctx context.Context, orgID string, orderID uuid.UUID) ([]registry.Signature, error) {
	if _, err := orderState(ctx, s.r(), orgID, orderID); err != nil {
		return nil, err
	}
	rows, err := s.r().QueryContext(ctx, `SELECT id, order_id, kind, key, sha256, signer, serial, valid_from, valid_to, verified, trust, created_at
		FROM signatures WHERE order_id = ?1 ORDER BY created_at, id`, orderID.String())
	if err != nil {
		return nil, fmt.Errorf("registry/sqlite: list signatures: %w", err)
	}
	defer rows.Close()
	var out []registry.Signature
	for rows.Next() {
		var sig registry.Signature
		var id, order, created string
		var from, to sql.NullString
		if err := rows.Scan(&id, &order, &sig.Kind, &sig.Key, &sig.SHA256, &sig.Signer, &sig.Serial, &from, &to,
			&sig.Verified, &sig.Trust, &created); err != nil {
			return nil, fmt.Errorf("registry/sqlite: scan signature: %w", err)
		}
		if sig.ID, err = uuid.Parse(id); err != nil {
			return nil, fmt.Errorf("registry/sqlite: stored signature id %q: %w", id, err)
		}
		if sig.OrderID, err = uuid.Parse(order); err != nil {
			return nil, fmt.Errorf("registry/sqlite: stored order id %q: %w", order, err)
		}
		if sig.CreatedAt, err = parseTime(created); err != nil {
			return nil, err
		}
		for _, f := range []struct {
			src sql.NullString
			dst **time.Time
		}{{from, &sig.ValidFrom}, {to, &sig.ValidTo}} {
			if f.src.Valid {
				t, err := parseTime(f.src.String)
				if err != nil {
					return nil, err
				}
				*f.dst = &t
			}
		}
		out = append(out, sig)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("registry/sqlite: list signatures: %w", err)
	}
	return out, nil
}

// RecordAck implements registry.Acknowledgements.
func (s *Store) RecordAck(ctx context.Context, orgID string, a *registry.Ack, audit *registry.AuditEntry) (*registry.Order, error) {
	m, err := driver.Acknowledge(a, audit)
	if err != nil {
		return nil, err
	}
	o, _, err := s.modify(ctx, orgID, a.OrderID, m)
	return o, err
}

func (t txOps) InsertAck(ctx context.Context, a *registry.Ack, date string) error {
	_, err := t.tx.ExecContext(ctx, `INSERT INTO acks (order_id, person, read_at, recorded_by, recorded_at) VALUES (?1, ?2, ?3, ?4, ?5)`,
		a.OrderID.String(), a.Person, date, a.RecordedBy, fmtTime(a.RecordedAt))
	if isUnique(err) {
		return driver.AckConflict(a.Person)
	}
	if err != nil {
		return fmt.Errorf("registry/sqlite: record acknowledgement: %w", err)
	}
	return nil
}

// ListAcks implements registry.Acknowledgements.
func (s *Store) ListAcks(ctx context.Context, orgID string, orderID uuid.UUID) ([]registry.Ack, error) {
	if _, err := orderState(ctx, s.r(), orgID, orderID); err != nil {
		return nil, err
	}
	rows, err := s.r().QueryContext(ctx, `SELECT person, read_at, recorded_by, recorded_at FROM acks
		WHERE order_id = ?1 ORDER BY person`, orderID.String())
	if err != nil {
		return nil, fmt.Errorf("registry/sqlite: list acknowledgements: %w", err)
	}
	defer rows.Close()
	var out []registry.Ack
	for rows.Next() {
		a := registry.Ack{OrderID: orderID}
		var read, recorded string
		if err := rows.Scan(&a.Person, &read, &a.RecordedBy, &recorded); err != nil {
			return nil, fmt.Errorf("registry/sqlite: scan acknowledgement: %w", err)
		}
		if a.ReadAt, err = driver.ParseDate(read); err != nil {
			return nil, err
		}
		if a.RecordedAt, err = parseTime(recorded); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("registry/sqlite: list acknowledgements: %w", err)
	}
	return out, nil
}

// reindex makes the full-text terms of orders that have none, or terms of an older analyzer
// (see driver.AnalyzerVersion): orders from before the search existed, or after a stemmer
// change. It runs at Open and does nothing on an up-to-date database.
func (s *Store) reindex(ctx context.Context) error {
	// In batches, each its own transaction, so a large archive does not hold the write lock
	// for long. The documents of another analyzer are taken in docid order from where the
	// last batch ended: looking from the start each time read all the documents done, which
	// made reindexing a million orders (migration 00018) quadratic, an hour instead of
	// minutes.
	after := int64(math.MinInt64)
	for {
		n, last, err := s.reindexBatch(ctx, `SELECT o.id, o.org_id, o.title, d.full_text, s.docid
			FROM order_search s JOIN orders o ON o.id = s.order_id JOIN order_docs d ON d.order_id = o.id
			WHERE s.docid > ?3 AND s.analyzer <> ?1 ORDER BY s.docid LIMIT ?2`, 500, after)
		if err != nil {
			return err
		}
		if n == 0 {
			break
		}
		after = last
	}
	// Then the orders that have no document (from before the search existed).
	for {
		n, _, err := s.reindexBatch(ctx, `SELECT o.id, o.org_id, o.title, d.full_text, 0 FROM orders o
			JOIN order_docs d ON d.order_id = o.id
			LEFT JOIN order_search s ON s.order_id = o.id
			WHERE s.order_id IS NULL OR s.analyzer <> ?1 LIMIT ?2`, 500)
		if err != nil || n == 0 {
			return err
		}
	}
}

// reindexBatch indexes the orders query selects (ID, organization, title, text, docid) with
// the analyzer (?1), batch (?2) and args; last is the last row's docid.
func (s *Store) reindexBatch(ctx context.Context, query string, batch int, args ...any) (n int, last int64, err error) {
	err = s.write(ctx, func(tx txq) error {
		rows, err := tx.QueryContext(ctx, query, append([]any{driver.AnalyzerVersion, batch}, args...)...)
		if err != nil {
			return fmt.Errorf("registry/sqlite: reindex: %w", err)
		}
		type doc struct{ id, org, title, text string }
		var docs []doc
		for rows.Next() {
			var d doc
			if err := rows.Scan(&d.id, &d.org, &d.title, &d.text, &last); err != nil {
				rows.Close()
				return fmt.Errorf("registry/sqlite: reindex: %w", err)
			}
			docs = append(docs, d)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("registry/sqlite: reindex: %w", err)
		}
		for _, d := range docs {
			id, err := uuid.Parse(d.id)
			if err != nil {
				return fmt.Errorf("registry/sqlite: stored order id %q: %w", d.id, err)
			}
			if err := index(ctx, tx, id, d.org, d.title, d.text); err != nil {
				return err
			}
		}
		n = len(docs)
		return nil
	})
	return n, last, err
}

func uuidPtr(id *uuid.UUID) any {
	if id == nil {
		return nil
	}
	return id.String()
}
