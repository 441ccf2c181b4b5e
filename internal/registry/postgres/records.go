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

// Registered implements driver.Tx: the control items of a registered order and its filing
// into the case that takes its journal's orders.
func (t txOps) Registered(ctx context.Context, o *registry.Order, controls []registry.ControlItem, now time.Time) error {
	for _, c := range controls {
		if _, err := t.tx.Exec(ctx, `INSERT INTO control_items
			(id, org_id, order_id, clause, text, responsible, deadline, due, created_at, controller)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			c.ID, c.OrgID, c.OrderID, c.Clause, c.Text, c.Responsible, c.Deadline, c.Due, c.CreatedAt, c.Controller); err != nil {
			return fmt.Errorf("registry/postgres: control item: %w", err)
		}
	}
	_, err := t.tx.Exec(ctx, `INSERT INTO case_files (order_id, org_id, case_idx, year, filed_by, filed_at)
		SELECT $1, org_id, idx, $3, 'system', $4 FROM cases WHERE org_id = $2 AND journal = $5 AND journal <> ''
		ON CONFLICT (order_id) DO UPDATE SET case_idx = excluded.case_idx, year = excluded.year`,
		o.ID, o.OrgID, driver.OrderYear(o), now, o.Journal)
	if err != nil {
		return fmt.Errorf("registry/postgres: file by journal: %w", err)
	}
	return nil
}

const controlCols = `c.id, c.org_id, c.order_id, c.clause, c.text, c.responsible, c.deadline, c.due, c.controller,
	c.done_at, c.done_by, c.done_note, c.created_at, o.number, o.order_date, o.title`

// controlWhere selects items as ControlFilter does, with ControlItem.StateOn in SQL ($5 is
// today). Items of cancelled orders are no longer controlled.
const controlWhere = ` FROM control_items c JOIN orders o ON o.id = c.order_id
	WHERE o.state <> 'cancelled' AND ($1 = '' OR c.org_id = $1) AND ($2::uuid IS NULL OR c.order_id = $2) AND ($3 = '' OR c.responsible = $3)
	AND ($4 = ''
		OR $4 = 'done' AND c.done_at IS NOT NULL
		OR $4 = 'overdue' AND c.done_at IS NULL AND c.due <> '' AND c.due < $5
		OR $4 = 'on_time' AND c.done_at IS NULL AND (c.due = '' OR c.due >= $5))`

func scanControl(row pgx.Row) (*registry.ControlItem, error) {
	var c registry.ControlItem
	err := row.Scan(&c.ID, &c.OrgID, &c.OrderID, &c.Clause, &c.Text, &c.Responsible, &c.Deadline, &c.Due, &c.Controller,
		&c.DoneAt, &c.DoneBy, &c.DoneNote, &c.CreatedAt, &c.OrderNumber, &c.OrderDate, &c.OrderTitle)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, registry.ErrNotFound
	}
	if err != nil {
		return nil, unavailable(fmt.Errorf("registry/postgres: scan control item: %w", err))
	}
	c.CreatedAt = c.CreatedAt.UTC()
	if c.DoneAt != nil {
		t := c.DoneAt.UTC()
		c.DoneAt = &t
	}
	return &c, nil
}

// ListControls implements registry.Controls.
func (s *Store) ListControls(ctx context.Context, f registry.ControlFilter) ([]registry.ControlItem, error) {
	if err := driver.CheckControlFilter(&f); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT `+controlCols+controlWhere+`
		ORDER BY c.due = '', c.due, o.order_date, c.id LIMIT $6`,
		f.OrgID, f.OrderID, f.Responsible, f.State, f.Today, f.Limit)
	if err != nil {
		return nil, unavailable(fmt.Errorf("registry/postgres: list control items: %w", err))
	}
	defer rows.Close()
	var out []registry.ControlItem
	for rows.Next() {
		c, err := scanControl(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *c)
	}
	return out, unavailable(rows.Err())
}

// GetControl implements registry.Controls.
func (s *Store) GetControl(ctx context.Context, orgID string, id uuid.UUID) (*registry.ControlItem, error) {
	return getControl(ctx, s.pool, orgID, id, "")
}

func getControl(ctx context.Context, q querier, orgID string, id uuid.UUID, suffix string) (*registry.ControlItem, error) {
	return scanControl(q.QueryRow(ctx, `SELECT `+controlCols+` FROM control_items c JOIN orders o ON o.id = c.order_id
		WHERE c.id = $1 AND ($2 = '' OR c.org_id = $2)`+suffix, id, orgID))
}

// MarkControlDone implements registry.Controls. The item's row is locked, so of two marks
// at once the second sees the first and is refused.
func (s *Store) MarkControlDone(ctx context.Context, orgID string, id uuid.UUID, by, note string, audit *registry.AuditEntry) (*registry.ControlItem, error) {
	if err := driver.CheckMark(by, note); err != nil {
		return nil, err
	}
	var c *registry.ControlItem
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		if c, err = getControl(ctx, tx, orgID, id, " FOR UPDATE OF c"); err != nil {
			return err
		}
		if c.DoneAt != nil {
			return fmt.Errorf("%w: control item %s was marked executed on %s by %s", registry.ErrConflict, id, c.DoneAt.Format("2006-01-02"), c.DoneBy)
		}
		now := driver.Now()
		if _, err := tx.Exec(ctx, `UPDATE control_items SET done_at = $2, done_by = $3, done_note = $4 WHERE id = $1`,
			id, now, by, note); err != nil {
			return err
		}
		c.DoneAt, c.DoneBy, c.DoneNote = &now, by, note
		return s.auditEvent(ctx, tx, audit, c.OrgID, c.OrderID, now)
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// CountControls implements registry.Controls, in one pass over the items.
func (s *Store) CountControls(ctx context.Context, today string) (map[string]int, error) {
	rows, err := s.pool.Query(ctx, `SELECT CASE WHEN c.done_at IS NOT NULL THEN 'done'
			WHEN c.due <> '' AND c.due < $1 THEN 'overdue' ELSE 'on_time' END AS st, COUNT(*)
		FROM control_items c JOIN orders o ON o.id = c.order_id WHERE o.state <> 'cancelled' GROUP BY st`, today)
	if err != nil {
		return nil, unavailable(fmt.Errorf("registry/postgres: count control items: %w", err))
	}
	defer rows.Close()
	out := map[string]int{}
	for _, st := range registry.ControlStates {
		out[st] = 0
	}
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, unavailable(fmt.Errorf("registry/postgres: count control items: %w", err))
		}
		out[st] = n
	}
	return out, unavailable(rows.Err())
}

// PutCalendarFeed implements registry.Controls.
func (s *Store) PutCalendarFeed(ctx context.Context, f *registry.CalendarFeed) error {
	if err := driver.PrepareFeed(f, driver.Now()); err != nil {
		return err
	}
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM calendar_feeds WHERE org_id = $1 AND person = $2`, f.OrgID, f.Person); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO calendar_feeds (hash, org_id, person, created_by, created_at) VALUES ($1, $2, $3, $4, $5)`,
			f.Hash, f.OrgID, f.Person, f.CreatedBy, f.CreatedAt)
		return err
	})
	if isUnique(err) {
		return fmt.Errorf("%w: calendar feed secret in use", registry.ErrConflict)
	}
	return err
}

// CalendarFeedByHash implements registry.Controls.
func (s *Store) CalendarFeedByHash(ctx context.Context, hash string) (*registry.CalendarFeed, error) {
	var f registry.CalendarFeed
	err := s.pool.QueryRow(ctx, `SELECT hash, org_id, person, created_by, created_at FROM calendar_feeds WHERE hash = $1`, hash).
		Scan(&f.Hash, &f.OrgID, &f.Person, &f.CreatedBy, &f.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, registry.ErrNotFound
	}
	if err != nil {
		return nil, unavailable(fmt.Errorf("registry/postgres: calendar feed: %w", err))
	}
	f.CreatedAt = f.CreatedAt.UTC()
	return &f, nil
}

// DeleteCalendarFeed implements registry.Controls.
func (s *Store) DeleteCalendarFeed(ctx context.Context, orgID, person string) error {
	return s.deleteOne(ctx, "calendar feed", `DELETE FROM calendar_feeds WHERE org_id = $1 AND person = $2`, orgID, person)
}

// PutCase implements registry.Cases.
func (s *Store) PutCase(ctx context.Context, c *registry.Case) error {
	if err := driver.PrepareCase(c, driver.Now()); err != nil {
		return err
	}
	err := s.pool.QueryRow(ctx, `INSERT INTO cases AS k (org_id, idx, title, retention, retention_years, journal, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
		ON CONFLICT (org_id, idx) DO UPDATE SET title = excluded.title, retention = excluded.retention,
			retention_years = excluded.retention_years, journal = excluded.journal, updated_at = excluded.updated_at
		RETURNING created_at`, c.OrgID, c.Index, c.Title, c.Retention, c.RetentionYears, c.Journal, c.UpdatedAt).Scan(&c.CreatedAt)
	if isUnique(err) {
		return fmt.Errorf("%w: journal %q is filed into another case", registry.ErrConflict, c.Journal)
	}
	if err != nil {
		return unavailable(fmt.Errorf("registry/postgres: put case: %w", err))
	}
	c.CreatedAt = c.CreatedAt.UTC()
	return nil
}

const caseCols = "c.org_id, c.idx, c.title, c.retention, c.retention_years, c.journal, c.created_at, c.updated_at"

func scanCase(row pgx.Row, extra ...any) (*registry.Case, error) {
	var c registry.Case
	if err := row.Scan(append([]any{&c.OrgID, &c.Index, &c.Title, &c.Retention, &c.RetentionYears, &c.Journal, &c.CreatedAt, &c.UpdatedAt}, extra...)...); err != nil {
		return nil, unavailable(fmt.Errorf("registry/postgres: scan case: %w", err))
	}
	c.CreatedAt, c.UpdatedAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC()
	return &c, nil
}

// ListCases implements registry.Cases.
func (s *Store) ListCases(ctx context.Context, orgID string) ([]registry.Case, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+caseCols+` FROM cases c WHERE org_id = $1 ORDER BY idx`, orgID)
	if err != nil {
		return nil, unavailable(fmt.Errorf("registry/postgres: list cases: %w", err))
	}
	defer rows.Close()
	var out []registry.Case
	for rows.Next() {
		c, err := scanCase(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *c)
	}
	return out, unavailable(rows.Err())
}

// DeleteCase implements registry.Cases. The case's row is locked first, so an order filed
// meanwhile (FileOrder reads the case FOR SHARE) is either counted or refused.
func (s *Store) DeleteCase(ctx context.Context, orgID, index string) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		var one int
		err := tx.QueryRow(ctx, `SELECT 1 FROM cases WHERE org_id = $1 AND idx = $2 FOR UPDATE`, orgID, index).Scan(&one)
		if errors.Is(err, pgx.ErrNoRows) {
			return registry.ErrNotFound
		}
		if err != nil {
			return err
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM case_files WHERE org_id = $1 AND case_idx = $2`, orgID, index).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("%w: case %s holds %d orders", registry.ErrConflict, index, n)
		}
		_, err = tx.Exec(ctx, `DELETE FROM cases WHERE org_id = $1 AND idx = $2`, orgID, index)
		return err
	})
}

// FileOrder implements registry.Cases.
func (s *Store) FileOrder(ctx context.Context, orgID string, orderID uuid.UUID, caseIndex, by string, audit *registry.AuditEntry) (*registry.Filing, error) {
	var f *registry.Filing
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		o, err := getOrder(ctx, tx, orgID, orderID, " FOR UPDATE")
		if err != nil {
			return err
		}
		if err := driver.CheckFile(o); err != nil {
			return err
		}
		var one int
		err = tx.QueryRow(ctx, `SELECT 1 FROM cases WHERE org_id = $1 AND idx = $2 FOR SHARE`, o.OrgID, caseIndex).Scan(&one)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("%w: no case %q in the nomenclature", registry.ErrInvalid, caseIndex)
		}
		if err != nil {
			return err
		}
		now := driver.Now()
		f = &registry.Filing{OrderID: o.ID, OrgID: o.OrgID, CaseIndex: caseIndex, Year: driver.OrderYear(o), FiledBy: by, FiledAt: now}
		if _, err := tx.Exec(ctx, `INSERT INTO case_files (order_id, org_id, case_idx, year, filed_by, filed_at)
			VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (order_id) DO UPDATE SET case_idx = excluded.case_idx, year = excluded.year,
				filed_by = excluded.filed_by, filed_at = excluded.filed_at`,
			o.ID, o.OrgID, caseIndex, f.Year, by, now); err != nil {
			return err
		}
		return s.auditEvent(ctx, tx, audit, o.OrgID, o.ID, now)
	})
	return f, err
}

// FilingOf implements registry.Cases.
func (s *Store) FilingOf(ctx context.Context, orgID string, orderID uuid.UUID) (*registry.Filing, error) {
	f := registry.Filing{OrderID: orderID}
	err := s.pool.QueryRow(ctx, `SELECT org_id, case_idx, year, filed_by, filed_at FROM case_files
		WHERE order_id = $1 AND ($2 = '' OR org_id = $2)`, orderID, orgID).
		Scan(&f.OrgID, &f.CaseIndex, &f.Year, &f.FiledBy, &f.FiledAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, registry.ErrNotFound
	}
	if err != nil {
		return nil, unavailable(fmt.Errorf("registry/postgres: filing: %w", err))
	}
	f.FiledAt = f.FiledAt.UTC()
	return &f, nil
}

// CaseOrders implements registry.Cases.
func (s *Store) CaseOrders(ctx context.Context, orgID, caseIndex string, year int) ([]registry.Order, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+listCols+` FROM orders WHERE id IN
		(SELECT order_id FROM case_files WHERE org_id = $1 AND case_idx = $2 AND year = $3)
		ORDER BY order_date, seq, number`, orgID, caseIndex, year)
	if err != nil {
		return nil, unavailable(fmt.Errorf("registry/postgres: case orders: %w", err))
	}
	return scanOrders(rows)
}

// CaseVolumes implements registry.Cases.
func (s *Store) CaseVolumes(ctx context.Context, orgID string) ([]registry.CaseVolume, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+caseCols+`, f.year, COUNT(*), MIN(o.order_date), MAX(o.order_date)
		FROM case_files f JOIN cases c ON c.org_id = f.org_id AND c.idx = f.case_idx JOIN orders o ON o.id = f.order_id
		WHERE f.org_id = $1 GROUP BY c.org_id, c.idx, f.year ORDER BY c.idx, f.year`, orgID)
	if err != nil {
		return nil, unavailable(fmt.Errorf("registry/postgres: case volumes: %w", err))
	}
	defer rows.Close()
	var out []registry.CaseVolume
	for rows.Next() {
		var v registry.CaseVolume
		c, err := scanCase(rows, &v.Year, &v.Count, &v.First, &v.Last)
		if err != nil {
			return nil, err
		}
		v.Case = *c
		out = append(out, v)
	}
	return out, unavailable(rows.Err())
}

// SetOrderPublic implements registry.PublicOrders.
func (s *Store) SetOrderPublic(ctx context.Context, orgID string, orderID uuid.UUID, public bool, audit *registry.AuditEntry) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		o, err := getOrder(ctx, tx, orgID, orderID, " FOR UPDATE")
		if err != nil {
			return err
		}
		if o.State == registry.StateDraft {
			return &registry.LifecycleError{Current: o.State, Action: "publish"}
		}
		now := driver.Now()
		by := ""
		if audit != nil {
			by = audit.Actor
		}
		if public {
			_, err = tx.Exec(ctx, `INSERT INTO public_orders (order_id, org_id, marked_by, marked_at) VALUES ($1, $2, $3, $4)
				ON CONFLICT (order_id) DO NOTHING`, o.ID, o.OrgID, by, now)
		} else {
			_, err = tx.Exec(ctx, `DELETE FROM public_orders WHERE order_id = $1`, o.ID)
		}
		if err != nil {
			return err
		}
		return s.auditEvent(ctx, tx, audit, o.OrgID, o.ID, now)
	})
}

// OrderPublic implements registry.PublicOrders.
func (s *Store) OrderPublic(ctx context.Context, orderID uuid.UUID) (bool, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT COUNT(*) FROM public_orders WHERE order_id = $1`, orderID).Scan(&n)
	return n > 0, unavailable(err)
}

// auditEvent appends e (if not nil) as the audit entry of an event of an order, in tx.
func (s *Store) auditEvent(ctx context.Context, tx pgx.Tx, e *registry.AuditEntry, orgID string, orderID uuid.UUID, now time.Time) error {
	if ok, err := driver.AuditFor(e, orgID, orderID); !ok || err != nil {
		return err
	}
	return appendAudit(ctx, tx, s.auditKey, e, now)
}
