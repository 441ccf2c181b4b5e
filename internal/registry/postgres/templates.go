package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"orders/internal/registry"
	"orders/internal/registry/internal/driver"
)

// SaveTemplate implements registry.Templates. Two saves of one version race on the primary
// key: the second is ErrConflict, as if it had read the first.
func (s *Store) SaveTemplate(ctx context.Context, t *registry.Template, baseVersion int) error {
	if err := driver.PrepareTemplate(t, baseVersion, driver.Now()); err != nil {
		return err
	}
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var latest int
		if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM order_templates WHERE org_id = $1 AND name = $2`,
			t.OrgID, t.Name).Scan(&latest); err != nil {
			return err
		}
		if latest != baseVersion {
			return fmt.Errorf("%w: template %s is at version %d, not %d", registry.ErrConflict, t.Name, latest, baseVersion)
		}
		t.Version = latest + 1
		_, err := tx.Exec(ctx, `INSERT INTO order_templates
			(org_id, name, version, title, mode, format, body, constants, created_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			t.OrgID, t.Name, t.Version, t.Title, t.Mode, t.Format, t.Body, string(t.Constants), t.CreatedBy, t.CreatedAt)
		return err
	})
	if isUnique(err) {
		return fmt.Errorf("%w: template %s was saved meanwhile", registry.ErrConflict, t.Name)
	}
	if err != nil && !errors.Is(err, registry.ErrConflict) && !errors.Is(err, registry.ErrUnavailable) {
		return fmt.Errorf("registry/postgres: save template: %w", err)
	}
	return err
}

const templateCols = "org_id, name, version, title, mode, format, created_by, created_at"

func scanTemplate(row pgx.Row, extra ...any) (*registry.Template, error) {
	var t registry.Template
	err := row.Scan(append([]any{&t.OrgID, &t.Name, &t.Version, &t.Title, &t.Mode, &t.Format, &t.CreatedBy, &t.CreatedAt}, extra...)...)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, registry.ErrNotFound
	}
	if err != nil {
		return nil, unavailable(fmt.Errorf("registry/postgres: scan template: %w", err))
	}
	t.CreatedAt = t.CreatedAt.UTC()
	return &t, nil
}

// GetTemplate implements registry.Templates.
func (s *Store) GetTemplate(ctx context.Context, orgID, name string, version int) (*registry.Template, error) {
	var consts string
	var body []byte
	t, err := scanTemplate(s.pool.QueryRow(ctx, `SELECT `+templateCols+`, body, constants FROM order_templates
		WHERE org_id = $1 AND name = $2 AND (version = $3 OR $3 = 0) ORDER BY version DESC LIMIT 1`,
		orgID, name, version), &body, &consts)
	if err != nil {
		return nil, err
	}
	t.Body, t.Constants = body, []byte(consts)
	return t, nil
}

func (s *Store) listTemplates(ctx context.Context, query string, args ...any) ([]registry.Template, error) {
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, unavailable(fmt.Errorf("registry/postgres: list templates: %w", err))
	}
	defer rows.Close()
	var out []registry.Template
	for rows.Next() {
		t, err := scanTemplate(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *t)
	}
	if err := rows.Err(); err != nil {
		return nil, unavailable(fmt.Errorf("registry/postgres: list templates: %w", err))
	}
	return out, nil
}

// ListTemplates implements registry.Templates.
func (s *Store) ListTemplates(ctx context.Context, orgID string) ([]registry.Template, error) {
	return s.listTemplates(ctx, `SELECT DISTINCT ON (name) `+templateCols+` FROM order_templates
		WHERE org_id = $1 ORDER BY name, version DESC`, orgID)
}

// TemplateVersions implements registry.Templates.
func (s *Store) TemplateVersions(ctx context.Context, orgID, name string) ([]registry.Template, error) {
	out, err := s.listTemplates(ctx, `SELECT `+templateCols+` FROM order_templates
		WHERE org_id = $1 AND name = $2 ORDER BY version DESC`, orgID, name)
	if err == nil && len(out) == 0 {
		return nil, registry.ErrNotFound
	}
	return out, err
}

// DeleteTemplate implements registry.Templates.
func (s *Store) DeleteTemplate(ctx context.Context, orgID, name string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM order_templates WHERE org_id = $1 AND name = $2`, orgID, name)
	if err != nil {
		return unavailable(fmt.Errorf("registry/postgres: delete template: %w", err))
	}
	if tag.RowsAffected() == 0 {
		return registry.ErrNotFound
	}
	return nil
}
