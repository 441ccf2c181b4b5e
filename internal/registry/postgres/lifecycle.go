package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"orders/internal/registry"
	"orders/internal/registry/internal/driver"
)

// txOps gives the shared lifecycle rules what they need inside modify's transaction, which
// holds the order's row lock. Lock order, everywhere: order row, then journal counter, then
// audit head; so transitions, appends and registrations never deadlock each other.
type txOps struct {
	tx  pgx.Tx
	key []byte // the audit key, if the store has it
}

func (t txOps) TakeSeqs(ctx context.Context, orgID, journalID string, year, n int) (int, string, error) {
	var format string
	err := t.tx.QueryRow(ctx, `SELECT format FROM journals WHERE org_id = $1 AND id = $2`, orgID, journalID).Scan(&format)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, "", fmt.Errorf("%w: unknown journal %q", registry.ErrInvalid, journalID)
	}
	if err != nil {
		return 0, "", fmt.Errorf("registry/postgres: journal: %w", err)
	}
	// The upsert locks the counter row until commit: a concurrent registration waits here
	// and then reads the numbers this one left. The right-hand sides read the row as it was,
	// so last becomes the last number issued now; a rollback gives them back.
	var last int
	err = t.tx.QueryRow(ctx, `INSERT INTO journal_counters AS c (org_id, journal_id, year, next, last)
		VALUES ($1, $2, $3, 1 + $4::integer, $4::integer)
		ON CONFLICT (org_id, journal_id, year) DO UPDATE SET next = c.next + $4::integer, last = c.next + $4::integer - 1
		RETURNING last`, orgID, journalID, year, n).Scan(&last)
	if err != nil {
		return 0, "", fmt.Errorf("registry/postgres: take number: %w", err)
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
	if err := t.tx.QueryRow(ctx, `SELECT register_key FROM orders WHERE id = $1`, id).Scan(&key); err != nil {
		return "", fmt.Errorf("registry/postgres: register key: %w", err)
	}
	return key, nil
}

func (t txOps) SetRegisterKey(ctx context.Context, id uuid.UUID, key string) error {
	if _, err := t.tx.Exec(ctx, `UPDATE orders SET register_key = $2 WHERE id = $1`, id, key); err != nil {
		return fmt.Errorf("registry/postgres: register key: %w", err)
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
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO journals (org_id, id, name, format, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $5)
			ON CONFLICT (org_id, id) DO UPDATE SET name = excluded.name, format = excluded.format, updated_at = excluded.updated_at
			RETURNING created_at`, j.OrgID, j.ID, j.Name, j.Format, j.UpdatedAt).Scan(&j.CreatedAt)
		if err != nil {
			return fmt.Errorf("registry/postgres: put journal: %w", err)
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
	j.CreatedAt = j.CreatedAt.UTC()
	return nil
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
	rows, err := s.pool.Query(ctx, `SELECT j.org_id, j.id, j.name, j.format, j.created_at, j.updated_at, c.year, c.next
		FROM journals j LEFT JOIN journal_counters c ON c.org_id = j.org_id AND c.journal_id = j.id
		WHERE j.org_id = $1 AND ($2 = '' OR j.id = $2)
		ORDER BY j.id, c.year`, orgID, id)
	if err != nil {
		return nil, fmt.Errorf("registry/postgres: journals: %w", err)
	}
	defer rows.Close()
	var out []registry.Journal
	for rows.Next() {
		var j registry.Journal
		var year, next *int
		if err := rows.Scan(&j.OrgID, &j.ID, &j.Name, &j.Format, &j.CreatedAt, &j.UpdatedAt, &year, &next); err != nil {
			return nil, fmt.Errorf("registry/postgres: journals: %w", err)
		}
		if n := len(out); n == 0 || out[n-1].ID != j.ID {
			j.CreatedAt, j.UpdatedAt = j.CreatedAt.UTC(), j.UpdatedAt.UTC()
			out = append(out, j)
		}
		if year != nil {
			last := &out[len(out)-1]
			last.Years = append(last.Years, registry.JournalStart{Year: *year, Next: *next})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("registry/postgres: journals: %w", err)
	}
	return out, nil
}

// SetJournalStart implements registry.Journals.
func (s *Store) SetJournalStart(ctx context.Context, orgID, journalID string, start registry.JournalStart) error {
	if err := driver.CheckJournalStart(start); err != nil {
		return err
	}
	return s.inTx(ctx, func(tx pgx.Tx) error {
		var one int
		err := tx.QueryRow(ctx, `SELECT 1 FROM journals WHERE org_id = $1 AND id = $2`, orgID, journalID).Scan(&one)
		if errors.Is(err, pgx.ErrNoRows) {
			return registry.ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("registry/postgres: journal: %w", err)
		}
		return setStart(ctx, tx, orgID, journalID, start)
	})
}

// setStart sets the next number of an existing journal in a year inside tx.
func setStart(ctx context.Context, tx pgx.Tx, orgID, journalID string, start registry.JournalStart) error {
	// Create the row if needed, then lock it: a registration running now cannot slip a
	// number in between the check and the write.
	if _, err := tx.Exec(ctx, `INSERT INTO journal_counters (org_id, journal_id, year, next, last)
		VALUES ($1, $2, $3, 1, 0) ON CONFLICT DO NOTHING`, orgID, journalID, start.Year); err != nil {
		return fmt.Errorf("registry/postgres: journal counter: %w", err)
	}
	var last int
	err := tx.QueryRow(ctx, `SELECT last FROM journal_counters WHERE org_id = $1 AND journal_id = $2 AND year = $3 FOR UPDATE`,
		orgID, journalID, start.Year).Scan(&last)
	if err != nil {
		return fmt.Errorf("registry/postgres: journal counter: %w", err)
	}
	if last >= start.Next {
		return driver.StartConflict(start, last)
	}
	if _, err := tx.Exec(ctx, `UPDATE journal_counters SET next = $4 WHERE org_id = $1 AND journal_id = $2 AND year = $3`,
		orgID, journalID, start.Year, start.Next); err != nil {
		return fmt.Errorf("registry/postgres: set journal start: %w", err)
	}
	return nil
}

// appendAudit appends e to its chain inside tx, keyed by key if not nil, holding the chain
// head's row lock until the transaction ends, so concurrent appends of one organization take
// turns.
func appendAudit(ctx context.Context, tx pgx.Tx, key []byte, e *registry.AuditEntry, now time.Time) error {
	if _, err := tx.Exec(ctx, `INSERT INTO audit_heads (org_id, seq, hash) VALUES ($1, 0, '') ON CONFLICT DO NOTHING`, e.OrgID); err != nil {
		return fmt.Errorf("registry/postgres: audit head: %w", err)
	}
	var seq int64
	var hash string
	if err := tx.QueryRow(ctx, `SELECT seq, hash FROM audit_heads WHERE org_id = $1 FOR UPDATE`, e.OrgID).Scan(&seq, &hash); err != nil {
		return fmt.Errorf("registry/postgres: audit head: %w", err)
	}
	if len(key) == 0 && seq > 0 {
		var scheme int
		err := tx.QueryRow(ctx, `SELECT scheme FROM audit WHERE org_id = $1 AND seq = $2`, e.OrgID, seq).Scan(&scheme)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("registry/postgres: audit head: %w", err)
		}
		if err := driver.NeedKey(scheme); err != nil {
			return err
		}
	}
	driver.ChainAudit(e, seq, hash, now, key)
	_, err := tx.Exec(ctx, `INSERT INTO audit (org_id, seq, at, actor, action, order_id, details, prev_hash, hash, scheme)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		e.OrgID, e.Seq, e.At, e.Actor, e.Action, e.OrderID, e.Details, e.PrevHash, e.Hash, e.Scheme)
	if err != nil {
		return fmt.Errorf("registry/postgres: append audit: %w", err)
	}
	if _, err := tx.Exec(ctx, `UPDATE audit_heads SET seq = $2, hash = $3 WHERE org_id = $1`, e.OrgID, e.Seq, e.Hash); err != nil {
		return fmt.Errorf("registry/postgres: audit head: %w", err)
	}
	return nil
}

// AppendAudit implements registry.AuditTrail.
func (s *Store) AppendAudit(ctx context.Context, e *registry.AuditEntry) error {
	if err := driver.CheckAudit(e); err != nil {
		return err
	}
	return s.inTx(ctx, func(tx pgx.Tx) error { return appendAudit(ctx, tx, s.auditKey, e, driver.Now()) })
}

const auditCols = "org_id, seq, at, actor, action, order_id, details, prev_hash, hash, scheme"

func scanAudit(row pgx.Row) (*registry.AuditEntry, error) {
	var e registry.AuditEntry
	if err := row.Scan(&e.OrgID, &e.Seq, &e.At, &e.Actor, &e.Action, &e.OrderID, &e.Details, &e.PrevHash, &e.Hash, &e.Scheme); err != nil {
		return nil, fmt.Errorf("registry/postgres: scan audit: %w", err)
	}
	e.At = e.At.UTC()
	return &e, nil
}

// ListAudit implements registry.AuditTrail.
func (s *Store) ListAudit(ctx context.Context, orgID string, orderID *uuid.UUID, limit int) ([]registry.AuditEntry, error) {
	query := `SELECT ` + auditCols + ` FROM audit WHERE org_id = $1`
	args := []any{orgID}
	if orderID != nil {
		query += ` AND order_id = $2`
		args = append(args, *orderID)
	}
	rows, err := s.pool.Query(ctx, query+fmt.Sprintf(` ORDER BY seq DESC LIMIT %d`, driver.Limit(limit)), args...)
	if err != nil {
		return nil, fmt.Errorf("registry/postgres: list audit: %w", err)
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
		return nil, fmt.Errorf("registry/postgres: list audit: %w", err)
	}
	return out, nil
}

// VerifyAudit implements registry.AuditTrail.
func (s *Store) VerifyAudit(ctx context.Context, orgID string) (ok bool, brokenAt int64, err error) {
	r, err := s.VerifyAuditChain(ctx, orgID, nil)
	return r.OK, r.BrokenAt, err
}

// VerifyAuditChain implements registry.AuditTrail.
func (s *Store) VerifyAuditChain(ctx context.Context, orgID string, anchor *registry.AuditAnchor) (registry.AuditReport, error) {
	// One repeatable-read snapshot, in which the head and the entries agree while appends go on.
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return registry.AuditReport{}, fmt.Errorf("registry/postgres: begin: %w", err)
	}
	defer tx.Rollback(ctx)
	var headSeq int64
	var headHash string
	err = tx.QueryRow(ctx, `SELECT seq, hash FROM audit_heads WHERE org_id = $1`, orgID).Scan(&headSeq, &headHash)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return registry.AuditReport{}, fmt.Errorf("registry/postgres: audit head: %w", err)
	}
	rows, err := tx.Query(ctx, `SELECT `+auditCols+` FROM audit WHERE org_id = $1 ORDER BY seq`, orgID)
	if err != nil {
		return registry.AuditReport{}, fmt.Errorf("registry/postgres: verify audit: %w", err)
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
	rows.Close()
	if err := rows.Err(); err != nil {
		return registry.AuditReport{}, fmt.Errorf("registry/postgres: verify audit: %w", err)
	}
	return c.Report(headSeq, headHash)
}

// AuditHeads implements registry.AuditTrail.
func (s *Store) AuditHeads(ctx context.Context) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT org_id FROM audit_heads ORDER BY org_id`)
	if err != nil {
		return nil, fmt.Errorf("registry/postgres: audit heads: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("registry/postgres: audit heads: %w", err)
	}
	return out, nil
}

func insertSignature(ctx context.Context, q querier, sig *registry.Signature) error {
	_, err := q.Exec(ctx, `INSERT INTO signatures (id, order_id, kind, key, sha256, signer, serial, valid_from, valid_to, verified, trust, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		sig.ID, sig.OrderID, sig.Kind, sig.Key, sig.SHA256, sig.Signer, sig.Serial,
		sig.ValidFrom, sig.ValidTo, sig.Verified, sig.Trust, sig.CreatedAt)
	if isUnique(err) {
		return fmt.Errorf("%w: signature %s exists", registry.ErrConflict, sig.ID)
	}
	if err != nil {
		return fmt.Errorf("registry/postgres: add signature: %w", err)
	}
	return nil
}

// orderState reads the state of an order as seen through orgID; lock is appended to the query.
func orderState(ctx context.Context, q querier, orgID string, id uuid.UUID, lock string) (registry.State, error) {
	var state string
	err := q.QueryRow(ctx, `SELECT state FROM orders WHERE id = $1 AND ($2 = '' OR org_id = $2)`+lock,
		id, orgID).Scan(&state)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", registry.ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("registry/postgres: order state: %w", err)
	}
	return registry.State(state), nil
}

// AddSignature implements registry.Signatures.
func (s *Store) AddSignature(ctx context.Context, orgID string, sig *registry.Signature, audit *registry.AuditEntry) error {
	now := driver.Now()
	if err := driver.PrepareSignature(sig, now); err != nil {
		return err
	}
	return s.inTx(ctx, func(tx pgx.Tx) error {
		// FOR SHARE: the state cannot change under the insert.
		var state, org string
		err := tx.QueryRow(ctx, `SELECT state, org_id FROM orders WHERE id = $1 AND ($2 = '' OR org_id = $2) FOR SHARE`,
			sig.OrderID, orgID).Scan(&state, &org)
		if errors.Is(err, pgx.ErrNoRows) {
			return registry.ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("registry/postgres: order state: %w", err)
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
	if _, err := orderState(ctx, s.pool, orgID, orderID, ""); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT id, order_id, kind, key, sha256, signer, serial, valid_from, valid_to, verified, trust, created_at
		FROM signatures WHERE order_id = $1 ORDER BY created_at, id`, orderID)
	if err != nil {
		return nil, fmt.Errorf("registry/postgres: list signatures: %w", err)
	}
	defer rows.Close()
	var out []registry.Signature
	for rows.Next() {
		var sig registry.Signature
		if err := rows.Scan(&sig.ID, &sig.OrderID, &sig.Kind, &sig.Key, &sig.SHA256, &sig.Signer, &sig.Serial,
			&sig.ValidFrom, &sig.ValidTo, &sig.Verified, &sig.Trust, &sig.CreatedAt); err != nil {
			return nil, fmt.Errorf("registry/postgres: scan signature: %w", err)
		}
		sig.ValidFrom, sig.ValidTo, sig.CreatedAt = utcPtr(sig.ValidFrom), utcPtr(sig.ValidTo), sig.CreatedAt.UTC()
		out = append(out, sig)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("registry/postgres: list signatures: %w", err)
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

func (t txOps) InsertAck(ctx context.Context, a *registry.Ack, _ string) error {
	_, err := t.tx.Exec(ctx, `INSERT INTO acks (order_id, person, read_at, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5)`,
		a.OrderID, a.Person, a.ReadAt, a.RecordedBy, a.RecordedAt)
	if isUnique(err) {
		return driver.AckConflict(a.Person)
	}
	if err != nil {
		return fmt.Errorf("registry/postgres: record acknowledgement: %w", err)
	}
	return nil
}

// ListAcks implements registry.Acknowledgements.
func (s *Store) ListAcks(ctx context.Context, orgID string, orderID uuid.UUID) ([]registry.Ack, error) {
	if _, err := orderState(ctx, s.pool, orgID, orderID, ""); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT person, read_at, recorded_by, recorded_at FROM acks
		WHERE order_id = $1 ORDER BY person COLLATE "C"`, orderID)
	if err != nil {
		return nil, fmt.Errorf("registry/postgres: list acknowledgements: %w", err)
	}
	defer rows.Close()
	var out []registry.Ack
	for rows.Next() {
		a := registry.Ack{OrderID: orderID}
		if err := rows.Scan(&a.Person, &a.ReadAt, &a.RecordedBy, &a.RecordedAt); err != nil {
			return nil, fmt.Errorf("registry/postgres: scan acknowledgement: %w", err)
		}
		y, m, d := a.ReadAt.Date()
		a.ReadAt = time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
		a.RecordedAt = a.RecordedAt.UTC()
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("registry/postgres: list acknowledgements: %w", err)
	}
	return out, nil
}
