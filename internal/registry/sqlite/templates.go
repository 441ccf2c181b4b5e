package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"orders/internal/registry"
	"orders/internal/registry/internal/driver"
)

// SaveTemplate implements registry.Templates.
func (s *Store) SaveTemplate(ctx context.Context, t *registry.Template, baseVersion int) error {
	if err := driver.PrepareTemplate(t, baseVersion, driver.Now()); err != nil {
		return err
	}
	err := s.write(ctx, func(tx txq) error {
		var latest int
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM order_templates WHERE org_id = ?1 AND name = ?2`,
			t.OrgID, t.Name).Scan(&latest); err != nil {
			return err
		}
		if latest != baseVersion {
			return fmt.Errorf("%w: template %s is at version %d, not %d", registry.ErrConflict, t.Name, latest, baseVersion)
		}
		t.Version = latest + 1
		_, err := tx.ExecContext(ctx, `INSERT INTO order_templates
			(org_id, name, version, title, mode, format, body, constants, created_by, created_at)
			VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)`,
			t.OrgID, t.Name, t.Version, t.Title, t.Mode, t.Format, t.Body, string(t.Constants), t.CreatedBy, fmtTime(t.CreatedAt))
		return err
	})
	if isUnique(err) { // another process saved the same version first
		return fmt.Errorf("%w: template %s was saved meanwhile", registry.ErrConflict, t.Name)
	}
	if err != nil && !errors.Is(err, registry.ErrConflict) && !errors.Is(err, registry.ErrUnavailable) {
		return fmt.Errorf("registry/sqlite: save template: %w", err)
	}
	return err
}

const templateCols = "org_id, name, version, title, mode, format, created_by, created_at"

func scanTemplate(row interface{ Scan(...any) error }, extra ...any) (*registry.Template, error) {
	var t registry.Template
	var created string
	err := row.Scan(append([]any{&t.OrgID, &t.Name, &t.Version, &t.Title, &t.Mode, &t.Format, &t.CreatedBy, &created}, extra...)...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, registry.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("registry/sqlite: scan template: %w", err)
	}
	t.CreatedAt, err = parseTime(created)
	return &t, err
}

// GetTemplate implements registry.Templates.
func (s *Store) GetTemplate(ctx context.Context, orgID, name string, version int) (*registry.Template, error) {
	var body []byte
	var consts string
	t, err := scanTemplate(s.r().QueryRowContext(ctx, `SELECT `+templateCols+`, body, constants FROM order_templates
		WHERE org_id = ?1 AND name = ?2 AND (version = ?3 OR ?3 = 0) ORDER BY version DESC LIMIT 1`,
		orgID, name, version), &body, &consts)
	if err != nil {
		return nil, unavailable(err)
	}
	t.Body, t.Constants = body, []byte(consts)
	return t, nil
}

func (s *Store) listTemplates(ctx context.Context, query string, args ...any) ([]registry.Template, error) {
	rows, err := s.r().QueryContext(ctx, query, args...)
	if err != nil {
		return nil, unavailable(fmt.Errorf("registry/sqlite: list templates: %w", err))
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
		return nil, unavailable(fmt.Errorf("registry/sqlite: list templates: %w", err))
	}
	return out, nil
}

// ListTemplates implements registry.Templates.
func (s *Store) ListTemplates(ctx context.Context, orgID string) ([]registry.Template, error) {
	return s.listTemplates(ctx, `SELECT `+templateCols+` FROM order_templates t
		WHERE org_id = ?1 AND version = (SELECT MAX(version) FROM order_templates WHERE org_id = t.org_id AND name = t.name)
		ORDER BY name`, orgID)
}

// TemplateVersions implements registry.Templates.
func (s *Store) TemplateVersions(ctx context.Context, orgID, name string) ([]registry.Template, error) {
	out, err := s.listTemplates(ctx, `SELECT `+templateCols+` FROM order_templates
		WHERE org_id = ?1 AND name = ?2 ORDER BY version DESC`, orgID, name)
	if err == nil && len(out) == 0 {
		return nil, registry.ErrNotFound
	}
	return out, err
}

// DeleteTemplate implements registry.Templates.
func (s *Store) DeleteTemplate(ctx context.Context, orgID, name string) error {
	return s.deleteOne(ctx, "template", `DELETE FROM order_templates WHERE org_id = ?1 AND name = ?2`, orgID, name)
}
