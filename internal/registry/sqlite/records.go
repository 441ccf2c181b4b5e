package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"orders/internal/registry"
	"orders/internal/registry/internal/driver"
)

// Registered implements driver.Tx: the control items of a registered order and its filing
// into the case that takes its journal's orders.
func (t txOps) Registered(ctx context.Context, o *registry.Order, controls []registry.ControlItem, now time.Time) error {
	for _, c := range controls {
		if _, err := t.tx.ExecContext(ctx, `INSERT INTO control_items
			(id, org_id, order_id, clause, text, responsible, deadline, due, created_at, controller)
			VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)`,
			c.ID.String(), c.OrgID, c.OrderID.String(), c.Clause, c.Text, c.Responsible, c.Deadline, c.Due, fmtTime(c.CreatedAt), c.Controller); err != nil {
			return fmt.Errorf("registry/sqlite: control item: %w", err)
		}
	}
	_, err := t.tx.ExecContext(ctx, `INSERT INTO case_files (order_id, org_id, case_idx, year, filed_by, filed_at)
		SELECT ?1, org_id, idx, ?3, 'system', ?4 FROM cases WHERE org_id = ?2 AND journal = ?5 AND journal <> ''
		ON CONFLICT (order_id) DO UPDATE SET case_idx = excluded.case_idx, year = excluded.year`,
		o.ID.String(), o.OrgID, driver.OrderYear(o), fmtTime(now), o.Journal)
	if err != nil {
		return fmt.Errorf("registry/sqlite: file by journal: %w", err)
	}
	return nil
}

const controlCols = `c.id, c.org_id, c.order_id, c.clause, c.text, c.responsible, c.deadline, c.due, c.controller,
	c.done_at, c.done_by, c.done_note, c.created_at, o.number, o.order_date, o.title`

// controlState is the SQL of ControlItem.StateOn, with today as ?5.
const controlWhere = ` FROM control_items c JOIN orders o ON o.id = c.order_id
	WHERE o.state <> 'cancelled' AND (?1 = '' OR c.org_id = ?1) AND (?2 = '' OR c.order_id = ?2) AND (?3 = '' OR c.responsible = ?3)
	AND (?4 = ''
		OR ?4 = 'done' AND c.done_at IS NOT NULL
		OR ?4 = 'overdue' AND c.done_at IS NULL AND c.due <> '' AND c.due < ?5
		OR ?4 = 'on_time' AND c.done_at IS NULL AND (c.due = '' OR c.due >= ?5))`

func scanControl(row scanner) (*registry.ControlItem, error) {
	var c registry.ControlItem
	var id, orderID, created string
	var done sql.NullString
	err := row.Scan(&id, &c.OrgID, &orderID, &c.Clause, &c.Text, &c.Responsible, &c.Deadline, &c.Due, &c.Controller,
		&done, &c.DoneBy, &c.DoneNote, &created, &c.OrderNumber, &c.OrderDate, &c.OrderTitle)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, registry.ErrNotFound
	}
	if err != nil {
		return nil, unavailable(fmt.Errorf("registry/sqlite: scan control item: %w", err))
	}
	if c.ID, err = uuid.Parse(id); err == nil {
		c.OrderID, err = uuid.Parse(orderID)
	}
	if err == nil {
		c.CreatedAt, err = parseTime(created)
	}
	if err == nil && done.Valid {
		var t time.Time
		t, err = parseTime(done.String)
		c.DoneAt = &t
	}
	return &c, err
}

// ListControls implements registry.Controls.
func (s *Store) ListControls(ctx context.Context, f registry.ControlFilter) ([]registry.ControlItem, error) {
	if err := driver.CheckControlFilter(&f); err != nil {
		return nil, err
	}
	orderID := ""
	if f.OrderID != nil {
		orderID = f.OrderID.String()
	}
	rows, err := s.r().QueryContext(ctx, `SELECT `+controlCols+controlWhere+`
		ORDER BY c.due = '', c.due, o.order_date, c.id LIMIT ?6`,
		f.OrgID, orderID, f.Responsible, f.State, f.Today, f.Limit)
	if err != nil {
		return nil, unavailable(fmt.Errorf("registry/sqlite: list control items: %w", err))
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
	return getControl(ctx, s.r(), orgID, id)
}

func getControl(ctx context.Context, q querier, orgID string, id uuid.UUID) (*registry.ControlItem, error) {
	return scanControl(q.QueryRowContext(ctx, `SELECT `+controlCols+` FROM control_items c JOIN orders o ON o.id = c.order_id
		WHERE c.id = ?1 AND (?2 = '' OR c.org_id = ?2)`, id.String(), orgID))
}

// MarkControlDone implements registry.Controls.
func (s *Store) MarkControlDone(ctx context.Context, orgID string, id uuid.UUID, by, note string, audit *registry.AuditEntry) (*registry.ControlItem, error) {
	if err := driver.CheckMark(by, note); err != nil {
		return nil, err
	}
	var c *registry.ControlItem
	err := s.write(ctx, func(tx txq) error {
		var err error
		if c, err = getControl(ctx, tx, orgID, id); err != nil {
			return err
		}
		if c.DoneAt != nil {
			return fmt.Errorf("%w: control item %s was marked executed on %s by %s", registry.ErrConflict, id, c.DoneAt.Format("2006-01-02"), c.DoneBy)
		}
		now := driver.Now()
		if _, err := tx.ExecContext(ctx, `UPDATE control_items SET done_at = ?2, done_by = ?3, done_note = ?4 WHERE id = ?1`,
			id.String(), fmtTime(now), by, note); err != nil {
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
	rows, err := s.r().QueryContext(ctx, `SELECT CASE WHEN c.done_at IS NOT NULL THEN 'done'
			WHEN c.due <> '' AND c.due < ?1 THEN 'overdue' ELSE 'on_time' END AS st, COUNT(*)
		FROM control_items c JOIN orders o ON o.id = c.order_id WHERE o.state <> 'cancelled' GROUP BY st`, today)
	if err != nil {
		return nil, unavailable(fmt.Errorf("registry/sqlite: count control items: %w", err))
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
			return nil, unavailable(fmt.Errorf("registry/sqlite: count control items: %w", err))
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
	err := s.write(ctx, func(tx txq) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM calendar_feeds WHERE org_id = ?1 AND person = ?2`, f.OrgID, f.Person); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO calendar_feeds (hash, org_id, person, created_by, created_at) VALUES (?1, ?2, ?3, ?4, ?5)`,
			f.Hash, f.OrgID, f.Person, f.CreatedBy, fmtTime(f.CreatedAt))
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
	var created string
	err := s.r().QueryRowContext(ctx, `SELECT hash, org_id, person, created_by, created_at FROM calendar_feeds WHERE hash = ?1`, hash).
		Scan(&f.Hash, &f.OrgID, &f.Person, &f.CreatedBy, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, registry.ErrNotFound
	}
	if err != nil {
		return nil, unavailable(fmt.Errorf("registry/sqlite: calendar feed: %w", err))
	}
	f.CreatedAt, err = parseTime(created)
	return &f, err
}

// DeleteCalendarFeed implements registry.Controls.
func (s *Store) DeleteCalendarFeed(ctx context.Context, orgID, person string) error {
	return s.deleteOne(ctx, "calendar feed", `DELETE FROM calendar_feeds WHERE org_id = ?1 AND person = ?2`, orgID, person)
}

// PutCase implements registry.Cases.
func (s *Store) PutCase(ctx context.Context, c *registry.Case) error {
	if err := driver.PrepareCase(c, driver.Now()); err != nil {
		return err
	}
	var created string
	err := s.write(ctx, func(tx txq) error {
		return tx.QueryRowContext(ctx, `INSERT INTO cases (org_id, idx, title, retention, retention_years, journal, created_at, updated_at)
			VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)
			ON CONFLICT (org_id, idx) DO UPDATE SET title = excluded.title, retention = excluded.retention,
				retention_years = excluded.retention_years, journal = excluded.journal, updated_at = excluded.updated_at
			RETURNING created_at`, c.OrgID, c.Index, c.Title, c.Retention, c.RetentionYears, c.Journal, fmtTime(c.UpdatedAt)).Scan(&created)
	})
	if isUnique(err) {
		return fmt.Errorf("%w: journal %q is filed into another case", registry.ErrConflict, c.Journal)
	}
	if err != nil {
		return unavailable(fmt.Errorf("registry/sqlite: put case: %w", err))
	}
	c.CreatedAt, err = parseTime(created)
	return err
}

const caseCols = "org_id, idx, title, retention, retention_years, journal, created_at, updated_at"

func scanCase(row scanner, extra ...any) (*registry.Case, error) {
	var c registry.Case
	var created, updated string
	if err := row.Scan(append([]any{&c.OrgID, &c.Index, &c.Title, &c.Retention, &c.RetentionYears, &c.Journal, &created, &updated}, extra...)...); err != nil {
		return nil, unavailable(fmt.Errorf("registry/sqlite: scan case: %w", err))
	}
	var err error
	if c.CreatedAt, err = parseTime(created); err == nil {
		c.UpdatedAt, err = parseTime(updated)
	}
	return &c, err
}

// ListCases implements registry.Cases.
func (s *Store) ListCases(ctx context.Context, orgID string) ([]registry.Case, error) {
	rows, err := s.r().QueryContext(ctx, `SELECT `+caseCols+` FROM cases WHERE org_id = ?1 ORDER BY idx`, orgID)
	if err != nil {
		return nil, unavailable(fmt.Errorf("registry/sqlite: list cases: %w", err))
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

// DeleteCase implements registry.Cases.
func (s *Store) DeleteCase(ctx context.Context, orgID, index string) error {
	return s.write(ctx, func(tx txq) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM case_files WHERE org_id = ?1 AND case_idx = ?2`, orgID, index).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("%w: case %s holds %d orders", registry.ErrConflict, index, n)
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM cases WHERE org_id = ?1 AND idx = ?2`, orgID, index)
		if err != nil {
			return err
		}
		if k, _ := res.RowsAffected(); k == 0 {
			return registry.ErrNotFound
		}
		return nil
	})
}

// FileOrder implements registry.Cases.
func (s *Store) FileOrder(ctx context.Context, orgID string, orderID uuid.UUID, caseIndex, by string, audit *registry.AuditEntry) (*registry.Filing, error) {
	var f *registry.Filing
	err := s.write(ctx, func(tx txq) error {
		o, err := getOrder(ctx, tx, orgID, orderID)
		if err != nil {
			return err
		}
		if err := driver.CheckFile(o); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM cases WHERE org_id = ?1 AND idx = ?2`, o.OrgID, caseIndex).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("%w: no case %q in the nomenclature", registry.ErrInvalid, caseIndex)
		}
		now := driver.Now()
		f = &registry.Filing{OrderID: o.ID, OrgID: o.OrgID, CaseIndex: caseIndex, Year: driver.OrderYear(o), FiledBy: by, FiledAt: now}
		if _, err := tx.ExecContext(ctx, `INSERT INTO case_files (order_id, org_id, case_idx, year, filed_by, filed_at)
			VALUES (?1, ?2, ?3, ?4, ?5, ?6)
			ON CONFLICT (order_id) DO UPDATE SET case_idx = excluded.case_idx, year = excluded.year,
				filed_by = excluded.filed_by, filed_at = excluded.filed_at`,
			o.ID.String(), o.OrgID, caseIndex, f.Year, by, fmtTime(now)); err != nil {
			return err
		}
		return s.auditEvent(ctx, tx, audit, o.OrgID, o.ID, now)
	})
	return f, err
}

// FilingOf implements registry.Cases.
func (s *Store) FilingOf(ctx context.Context, orgID string, orderID uuid.UUID) (*registry.Filing, error) {
	f := registry.Filing{OrderID: orderID}
	var filed string
	err := s.r().QueryRowContext(ctx, `SELECT org_id, case_idx, year, filed_by, filed_at FROM case_files
		WHERE order_id = ?1 AND (?2 = '' OR org_id = ?2)`, orderID.String(), orgID).
		Scan(&f.OrgID, &f.CaseIndex, &f.Year, &f.FiledBy, &filed)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, registry.ErrNotFound
	}
	if err != nil {
		return nil, unavailable(fmt.Errorf("registry/sqlite: filing: %w", err))
	}
	f.FiledAt, err = parseTime(filed)
	return &f, err
}

// CaseOrders implements registry.Cases.
func (s *Store) CaseOrders(ctx context.Context, orgID, caseIndex string, year int) ([]registry.Order, error) {
	rows, err := s.r().QueryContext(ctx, `SELECT `+listCols+` FROM orders WHERE id IN
		(SELECT order_id FROM case_files WHERE org_id = ?1 AND case_idx = ?2 AND year = ?3)
		ORDER BY order_date, seq, number`, orgID, caseIndex, year)
	if err != nil {
		return nil, unavailable(fmt.Errorf("registry/sqlite: case orders: %w", err))
	}
	return scanOrders(rows)
}

// CaseVolumes implements registry.Cases.
func (s *Store) CaseVolumes(ctx context.Context, orgID string) ([]registry.CaseVolume, error) {
	rows, err := s.r().QueryContext(ctx, `SELECT c.org_id, c.idx, c.title, c.retention, c.retention_years, c.journal, c.created_at, c.updated_at,
			f.year, COUNT(*), MIN(o.order_date), MAX(o.order_date)
		FROM case_files f JOIN cases c ON c.org_id = f.org_id AND c.idx = f.case_idx JOIN orders o ON o.id = f.order_id
		WHERE f.org_id = ?1 GROUP BY c.idx, f.year ORDER BY c.idx, f.year`, orgID)
	if err != nil {
		return nil, unavailable(fmt.Errorf("registry/sqlite: case volumes: %w", err))
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
	return s.write(ctx, func(tx txq) error {
		o, err := getOrder(ctx, tx, orgID, orderID)
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
			_, err = tx.ExecContext(ctx, `INSERT INTO public_orders (order_id, org_id, marked_by, marked_at) VALUES (?1, ?2, ?3, ?4)
				ON CONFLICT (order_id) DO NOTHING`, o.ID.String(), o.OrgID, by, fmtTime(now))
		} else {
			_, err = tx.ExecContext(ctx, `DELETE FROM public_orders WHERE order_id = ?1`, o.ID.String())
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
	err := s.r().QueryRowContext(ctx, `SELECT COUNT(*) FROM public_orders WHERE order_id = ?1`, orderID.String()).Scan(&n)
	return n > 0, unavailable(err)
}

// auditEvent appends e (if not nil) as the audit entry of an event of an order, in tx.
func (s *Store) auditEvent(ctx context.Context, tx querier, e *registry.AuditEntry, orgID string, orderID uuid.UUID, now time.Time) error {
	if ok, err := driver.AuditFor(e, orgID, orderID); !ok || err != nil {
		return err
	}
	return appendAudit(ctx, tx, s.auditKey, e, now)
}
