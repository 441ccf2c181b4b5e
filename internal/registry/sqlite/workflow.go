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

func (t txOps) LatestVersion(ctx context.Context, orderID uuid.UUID) (int, error) {
	return latestVersion(ctx, t.tx, orderID)
}

func latestVersion(ctx context.Context, q querier, orderID uuid.UUID) (int, error) {
	var n int
	if err := q.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM draft_versions WHERE order_id = ?1`,
		orderID.String()).Scan(&n); err != nil {
		return 0, unavailable(fmt.Errorf("registry/sqlite: draft versions: %w", err))
	}
	return n, nil
}

func (t txOps) InsertVersion(ctx context.Context, v *registry.DraftVersion) error {
	return insertVersion(ctx, t.tx, v)
}

func insertVersion(ctx context.Context, q querier, v *registry.DraftVersion) error {
	_, err := q.ExecContext(ctx, `INSERT INTO draft_versions (order_id, version, draft, draft_hash, author, created_at)
		VALUES (?1, ?2, ?3, ?4, ?5, ?6)`, v.OrderID.String(), v.Version, driver.NonNil(v.Draft), v.DraftHash, v.Author, fmtTime(v.CreatedAt))
	if err != nil {
		return fmt.Errorf("registry/sqlite: draft version: %w", err)
	}
	return nil
}

const routeCols = `id, org_id, order_id, round, version, mode, status, author, created_at, finished_at`

func scanRoute(row interface{ Scan(...any) error }) (*registry.ApprovalRoute, error) {
	var r registry.ApprovalRoute
	var id, order, created string
	var finished sql.NullString
	err := row.Scan(&id, &r.OrgID, &order, &r.Round, &r.Version, &r.Mode, &r.Status, &r.Author, &created, &finished)
	if err != nil {
		return nil, err
	}
	if r.ID, err = uuid.Parse(id); err != nil {
		return nil, err
	}
	if r.OrderID, err = uuid.Parse(order); err != nil {
		return nil, err
	}
	if r.CreatedAt, err = parseTime(created); err != nil {
		return nil, err
	}
	if finished.Valid {
		t, err := parseTime(finished.String)
		if err != nil {
			return nil, err
		}
		r.FinishedAt = &t
	}
	return &r, nil
}

// visas fills the visas of routes.
func visas(ctx context.Context, q querier, routes []registry.ApprovalRoute) error {
	for i := range routes {
		r := &routes[i]
		rows, err := q.QueryContext(ctx, `SELECT step, user_id, login, name, position, decision, remark, decided_at
			FROM approval_visas WHERE route_id = ?1 ORDER BY step`, r.ID.String())
		if err != nil {
			return unavailable(fmt.Errorf("registry/sqlite: visas: %w", err))
		}
		r.Visas = nil
		for rows.Next() {
			var v registry.Visa
			var user string
			var decided sql.NullString
			if err := rows.Scan(&v.Step, &user, &v.Login, &v.Name, &v.Position, &v.Decision, &v.Remark, &decided); err != nil {
				rows.Close()
				return fmt.Errorf("registry/sqlite: visas: %w", err)
			}
			v.UserID, err = uuid.Parse(user)
			if err == nil && decided.Valid {
				var t time.Time
				t, err = parseTime(decided.String)
				v.DecidedAt = &t
			}
			if err != nil {
				rows.Close()
				return err
			}
			r.Visas = append(r.Visas, v)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return unavailable(fmt.Errorf("registry/sqlite: visas: %w", err))
		}
	}
	return nil
}

func routes(ctx context.Context, q querier, query string, args ...any) ([]registry.ApprovalRoute, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, unavailable(fmt.Errorf("registry/sqlite: approval routes: %w", err))
	}
	var out []registry.ApprovalRoute
	for rows.Next() {
		r, err := scanRoute(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("registry/sqlite: approval routes: %w", err)
		}
		out = append(out, *r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, unavailable(fmt.Errorf("registry/sqlite: approval routes: %w", err))
	}
	return out, visas(ctx, q, out)
}

func (t txOps) LatestRoute(ctx context.Context, orderID uuid.UUID) (*registry.ApprovalRoute, error) {
	list, err := routes(ctx, t.tx, `SELECT `+routeCols+` FROM approval_routes WHERE order_id = ?1 ORDER BY round DESC LIMIT 1`, orderID.String())
	if err != nil || len(list) == 0 {
		return nil, err
	}
	return &list[0], nil
}

func (t txOps) InsertRoute(ctx context.Context, r *registry.ApprovalRoute) error {
	_, err := t.tx.ExecContext(ctx, `INSERT INTO approval_routes (`+routeCols+`) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, NULL)`,
		r.ID.String(), r.OrgID, r.OrderID.String(), r.Round, r.Version, string(r.Mode), string(r.Status), r.Author, fmtTime(r.CreatedAt))
	if err != nil {
		return fmt.Errorf("registry/sqlite: approval route: %w", err)
	}
	for _, v := range r.Visas {
		if _, err := t.tx.ExecContext(ctx, `INSERT INTO approval_visas (route_id, step, user_id, login, name, position)
			VALUES (?1, ?2, ?3, ?4, ?5, ?6)`, r.ID.String(), v.Step, v.UserID.String(), v.Login, v.Name, v.Position); err != nil {
			return fmt.Errorf("registry/sqlite: approval visa: %w", err)
		}
	}
	return nil
}

func (t txOps) SaveVisa(ctx context.Context, routeID uuid.UUID, v registry.Visa) error {
	_, err := t.tx.ExecContext(ctx, `UPDATE approval_visas SET decision = ?3, remark = ?4, decided_at = ?5 WHERE route_id = ?1 AND step = ?2`,
		routeID.String(), v.Step, string(v.Decision), v.Remark, fmtTimePtr(v.DecidedAt))
	if err != nil {
		return fmt.Errorf("registry/sqlite: visa: %w", err)
	}
	return nil
}

func (t txOps) FinishRoute(ctx context.Context, routeID uuid.UUID, status registry.RouteStatus, at time.Time) error {
	_, err := t.tx.ExecContext(ctx, `UPDATE approval_routes SET status = ?2, finished_at = ?3 WHERE id = ?1`,
		routeID.String(), string(status), fmtTime(at))
	if err != nil {
		return fmt.Errorf("registry/sqlite: approval route: %w", err)
	}
	return nil
}

func (t txOps) ApprovalRequired(ctx context.Context, orgID string) (bool, error) {
	return approvalRequired(ctx, t.tx, orgID)
}

func approvalRequired(ctx context.Context, q querier, orgID string) (bool, error) {
	var req bool
	err := q.QueryRowContext(ctx, `SELECT required FROM approval_settings WHERE org_id = ?1`, orgID).Scan(&req)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, unavailable(fmt.Errorf("registry/sqlite: approval setting: %w", err))
	}
	return req, nil
}

// DraftVersions implements registry.Approvals.
func (s *Store) DraftVersions(ctx context.Context, orgID string, orderID uuid.UUID) ([]registry.DraftVersion, error) {
	o, err := s.GetOrder(ctx, orgID, orderID)
	if err != nil {
		return nil, err
	}
	rows, err := s.r().QueryContext(ctx, `SELECT version, draft_hash, author, created_at FROM draft_versions
		WHERE order_id = ?1 ORDER BY version`, orderID.String())
	if err != nil {
		return nil, unavailable(fmt.Errorf("registry/sqlite: draft versions: %w", err))
	}
	defer rows.Close()
	var out []registry.DraftVersion
	for rows.Next() {
		v := registry.DraftVersion{OrderID: orderID}
		var created string
		if err := rows.Scan(&v.Version, &v.DraftHash, &v.Author, &created); err != nil {
			return nil, fmt.Errorf("registry/sqlite: draft versions: %w", err)
		}
		if v.CreatedAt, err = parseTime(created); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, unavailable(fmt.Errorf("registry/sqlite: draft versions: %w", err))
	}
	if len(out) == 0 {
		out = []registry.DraftVersion{*driver.ImplicitVersion(o)}
		out[0].Draft = nil
	}
	return out, nil
}

// GetDraftVersion implements registry.Approvals.
func (s *Store) GetDraftVersion(ctx context.Context, orgID string, orderID uuid.UUID, version int) (*registry.DraftVersion, error) {
	o, err := s.GetOrder(ctx, orgID, orderID)
	if err != nil {
		return nil, err
	}
	v := registry.DraftVersion{OrderID: orderID, Version: version}
	var created string
	err = s.r().QueryRowContext(ctx, `SELECT draft, draft_hash, author, created_at FROM draft_versions
		WHERE order_id = ?1 AND version = ?2`, orderID.String(), version).Scan(&v.Draft, &v.DraftHash, &v.Author, &created)
	if errors.Is(err, sql.ErrNoRows) {
		if n, err := latestVersion(ctx, s.r(), orderID); err != nil {
			return nil, err
		} else if n == 0 && version == 1 {
			return driver.ImplicitVersion(o), nil
		}
		return nil, registry.ErrNotFound
	}
	if err != nil {
		return nil, unavailable(fmt.Errorf("registry/sqlite: draft version: %w", err))
	}
	v.CreatedAt, err = parseTime(created)
	return &v, err
}

// StartApproval implements registry.Approvals.
func (s *Store) StartApproval(ctx context.Context, orgID string, orderID uuid.UUID, r *registry.ApprovalRoute, audit *registry.AuditEntry) error {
	return driver.Modify(s.modify).StartApproval(ctx, orgID, orderID, r, audit)
}

// DecideVisa implements registry.Approvals.
func (s *Store) DecideVisa(ctx context.Context, orgID string, orderID, user uuid.UUID, d registry.Decision, remark string, audit *registry.AuditEntry) (*registry.ApprovalRoute, error) {
	return driver.Modify(s.modify).DecideVisa(ctx, orgID, orderID, user, d, remark, audit)
}

// WithdrawApproval implements registry.Approvals.
func (s *Store) WithdrawApproval(ctx context.Context, orgID string, orderID uuid.UUID, audit *registry.AuditEntry) (*registry.ApprovalRoute, error) {
	return driver.Modify(s.modify).WithdrawApproval(ctx, orgID, orderID, audit)
}

// ApprovalRoutes implements registry.Approvals.
func (s *Store) ApprovalRoutes(ctx context.Context, orgID string, orderID uuid.UUID) ([]registry.ApprovalRoute, error) {
	if _, err := s.GetOrder(ctx, orgID, orderID); err != nil {
		return nil, err
	}
	return routes(ctx, s.r(), `SELECT `+routeCols+` FROM approval_routes WHERE order_id = ?1 ORDER BY round DESC`, orderID.String())
}

// PendingApprovals implements registry.Approvals.
func (s *Store) PendingApprovals(ctx context.Context, orgID string, user uuid.UUID) ([]registry.PendingApproval, error) {
	list, err := routes(ctx, s.r(), `SELECT `+routeCols+` FROM approval_routes r
		WHERE status = 'in_progress' AND (org_id = ?1 OR ?1 = '')
		AND EXISTS (SELECT 1 FROM approval_visas v WHERE v.route_id = r.id AND v.user_id = ?2 AND v.decision = '')
		ORDER BY created_at, id`, orgID, user.String())
	if err != nil {
		return nil, err
	}
	var out []registry.PendingApproval
	for _, r := range list {
		if !driver.DueFor(&r, user) {
			continue
		}
		p := registry.PendingApproval{Route: r}
		if err := s.r().QueryRowContext(ctx, `SELECT title, kind FROM orders WHERE id = ?1`, r.OrderID.String()).Scan(&p.Title, &p.Kind); err != nil {
			return nil, unavailable(fmt.Errorf("registry/sqlite: pending approvals: %w", err))
		}
		out = append(out, p)
	}
	return out, nil
}

// SetApprovalRequired implements registry.Approvals.
func (s *Store) SetApprovalRequired(ctx context.Context, orgID string, required bool) error {
	if orgID == "" {
		return fmt.Errorf("%w: approval setting without organization", registry.ErrInvalid)
	}
	return s.write(ctx, func(tx txq) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO approval_settings (org_id, required) VALUES (?1, ?2)
			ON CONFLICT (org_id) DO UPDATE SET required = excluded.required`, orgID, required)
		return err
	})
}

// ApprovalRequired implements registry.Approvals.
func (s *Store) ApprovalRequired(ctx context.Context, orgID string) (bool, error) {
	return approvalRequired(ctx, s.r(), orgID)
}
