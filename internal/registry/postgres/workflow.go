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

func (t txOps) LatestVersion(ctx context.Context, orderID uuid.UUID) (int, error) {
	return latestVersion(ctx, t.tx, orderID)
}

func latestVersion(ctx context.Context, q querier, orderID uuid.UUID) (int, error) {
	var n int
	if err := q.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM draft_versions WHERE order_id = $1`, orderID).Scan(&n); err != nil {
		return 0, unavailable(fmt.Errorf("registry/postgres: draft versions: %w", err))
	}
	return n, nil
}

func (t txOps) InsertVersion(ctx context.Context, v *registry.DraftVersion) error {
	return insertVersion(ctx, t.tx, v)
}

func insertVersion(ctx context.Context, q querier, v *registry.DraftVersion) error {
	_, err := q.Exec(ctx, `INSERT INTO draft_versions (order_id, version, draft, draft_hash, author, created_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, v.OrderID, v.Version, driver.NonNil(v.Draft), v.DraftHash, v.Author, v.CreatedAt)
	if err != nil {
		return fmt.Errorf("registry/postgres: draft version: %w", err)
	}
	return nil
}

const routeCols = `id, org_id, order_id, round, version, mode, status, author, created_at, finished_at`

func routes(ctx context.Context, q querier, query string, args ...any) ([]registry.ApprovalRoute, error) {
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, unavailable(fmt.Errorf("registry/postgres: approval routes: %w", err))
	}
	var out []registry.ApprovalRoute
	for rows.Next() {
		var r registry.ApprovalRoute
		if err := rows.Scan(&r.ID, &r.OrgID, &r.OrderID, &r.Round, &r.Version, &r.Mode, &r.Status, &r.Author,
			&r.CreatedAt, &r.FinishedAt); err != nil {
			rows.Close()
			return nil, fmt.Errorf("registry/postgres: approval routes: %w", err)
		}
		r.CreatedAt, r.FinishedAt = r.CreatedAt.UTC(), utcPtr(r.FinishedAt)
		out = append(out, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, unavailable(fmt.Errorf("registry/postgres: approval routes: %w", err))
	}
	for i := range out {
		r := &out[i]
		rows, err := q.Query(ctx, `SELECT step, user_id, login, name, position, decision, remark, decided_at
			FROM approval_visas WHERE route_id = $1 ORDER BY step`, r.ID)
		if err != nil {
			return nil, unavailable(fmt.Errorf("registry/postgres: visas: %w", err))
		}
		for rows.Next() {
			var v registry.Visa
			if err := rows.Scan(&v.Step, &v.UserID, &v.Login, &v.Name, &v.Position, &v.Decision, &v.Remark, &v.DecidedAt); err != nil {
				rows.Close()
				return nil, fmt.Errorf("registry/postgres: visas: %w", err)
			}
			v.DecidedAt = utcPtr(v.DecidedAt)
			r.Visas = append(r.Visas, v)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, unavailable(fmt.Errorf("registry/postgres: visas: %w", err))
		}
	}
	return out, nil
}

func (t txOps) LatestRoute(ctx context.Context, orderID uuid.UUID) (*registry.ApprovalRoute, error) {
	list, err := routes(ctx, t.tx, `SELECT `+routeCols+` FROM approval_routes WHERE order_id = $1 ORDER BY round DESC LIMIT 1`, orderID)
	if err != nil || len(list) == 0 {
		return nil, err
	}
	return &list[0], nil
}

func (t txOps) InsertRoute(ctx context.Context, r *registry.ApprovalRoute) error {
	_, err := t.tx.Exec(ctx, `INSERT INTO approval_routes (`+routeCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL)`,
		r.ID, r.OrgID, r.OrderID, r.Round, r.Version, string(r.Mode), string(r.Status), r.Author, r.CreatedAt)
	if err != nil {
		return fmt.Errorf("registry/postgres: approval route: %w", err)
	}
	for _, v := range r.Visas {
		if _, err := t.tx.Exec(ctx, `INSERT INTO approval_visas (route_id, step, user_id, login, name, position)
			VALUES ($1, $2, $3, $4, $5, $6)`, r.ID, v.Step, v.UserID, v.Login, v.Name, v.Position); err != nil {
			return fmt.Errorf("registry/postgres: approval visa: %w", err)
		}
	}
	return nil
}

func (t txOps) SaveVisa(ctx context.Context, routeID uuid.UUID, v registry.Visa) error {
	_, err := t.tx.Exec(ctx, `UPDATE approval_visas SET decision = $3, remark = $4, decided_at = $5 WHERE route_id = $1 AND step = $2`,
		routeID, v.Step, string(v.Decision), v.Remark, v.DecidedAt)
	if err != nil {
		return fmt.Errorf("registry/postgres: visa: %w", err)
	}
	return nil
}

func (t txOps) FinishRoute(ctx context.Context, routeID uuid.UUID, status registry.RouteStatus, at time.Time) error {
	_, err := t.tx.Exec(ctx, `UPDATE approval_routes SET status = $2, finished_at = $3 WHERE id = $1`, routeID, string(status), at)
	if err != nil {
		return fmt.Errorf("registry/postgres: approval route: %w", err)
	}
	return nil
}

func (t txOps) ApprovalRequired(ctx context.Context, orgID string) (bool, error) {
	return approvalRequired(ctx, t.tx, orgID)
}

func approvalRequired(ctx context.Context, q querier, orgID string) (bool, error) {
	var req bool
	err := q.QueryRow(ctx, `SELECT required FROM approval_settings WHERE org_id = $1`, orgID).Scan(&req)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, unavailable(fmt.Errorf("registry/postgres: approval setting: %w", err))
	}
	return req, nil
}

// DraftVersions implements registry.Approvals.
func (s *Store) DraftVersions(ctx context.Context, orgID string, orderID uuid.UUID) ([]registry.DraftVersion, error) {
	o, err := s.GetOrder(ctx, orgID, orderID)
	if err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT version, draft_hash, author, created_at FROM draft_versions
		WHERE order_id = $1 ORDER BY version`, orderID)
	if err != nil {
		return nil, unavailable(fmt.Errorf("registry/postgres: draft versions: %w", err))
	}
	defer rows.Close()
	var out []registry.DraftVersion
	for rows.Next() {
		v := registry.DraftVersion{OrderID: orderID}
		if err := rows.Scan(&v.Version, &v.DraftHash, &v.Author, &v.CreatedAt); err != nil {
			return nil, fmt.Errorf("registry/postgres: draft versions: %w", err)
		}
		v.CreatedAt = v.CreatedAt.UTC()
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, unavailable(fmt.Errorf("registry/postgres: draft versions: %w", err))
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
	err = s.pool.QueryRow(ctx, `SELECT draft, draft_hash, author, created_at FROM draft_versions
		WHERE order_id = $1 AND version = $2`, orderID, version).Scan(&v.Draft, &v.DraftHash, &v.Author, &v.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		if n, err := latestVersion(ctx, s.pool, orderID); err != nil {
			return nil, err
		} else if n == 0 && version == 1 {
			return driver.ImplicitVersion(o), nil
		}
		return nil, registry.ErrNotFound
	}
	if err != nil {
		return nil, unavailable(fmt.Errorf("registry/postgres: draft version: %w", err))
	}
	v.CreatedAt = v.CreatedAt.UTC()
	return &v, nil
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
	return routes(ctx, s.pool, `SELECT `+routeCols+` FROM approval_routes WHERE order_id = $1 ORDER BY round DESC`, orderID)
}

// PendingApprovals implements registry.Approvals.
func (s *Store) PendingApprovals(ctx context.Context, orgID string, user uuid.UUID) ([]registry.PendingApproval, error) {
	list, err := routes(ctx, s.pool, `SELECT `+routeCols+` FROM approval_routes r
		WHERE status = 'in_progress' AND (org_id = $1 OR $1 = '')
		AND EXISTS (SELECT 1 FROM approval_visas v WHERE v.route_id = r.id AND v.user_id = $2 AND v.decision = '')
		ORDER BY created_at, id`, orgID, user)
	if err != nil {
		return nil, err
	}
	var out []registry.PendingApproval
	for _, r := range list {
		if !driver.DueFor(&r, user) {
			continue
		}
		p := registry.PendingApproval{Route: r}
		if err := s.pool.QueryRow(ctx, `SELECT title, kind FROM orders WHERE id = $1`, r.OrderID).Scan(&p.Title, &p.Kind); err != nil {
			return nil, unavailable(fmt.Errorf("registry/postgres: pending approvals: %w", err))
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
	_, err := s.pool.Exec(ctx, `INSERT INTO approval_settings (org_id, required) VALUES ($1, $2)
		ON CONFLICT (org_id) DO UPDATE SET required = excluded.required`, orgID, required)
	if err != nil {
		return unavailable(fmt.Errorf("registry/postgres: approval setting: %w", err))
	}
	return nil
}

// ApprovalRequired implements registry.Approvals.
func (s *Store) ApprovalRequired(ctx context.Context, orgID string) (bool, error) {
	return approvalRequired(ctx, s.pool, orgID)
}
