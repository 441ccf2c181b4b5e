package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"orders/internal/registry"
	"orders/internal/registry/internal/driver"
)

// PutOrganization implements registry.Organizations.
func (s *Store) PutOrganization(ctx context.Context, org *registry.Organization) error {
	if err := driver.PrepareOrganization(org, driver.Now()); err != nil {
		return err
	}
	var created string
	// ?6 (keep) leaves a stored signing certificate alone when the caller did not set one.
	err := s.write(ctx, func(tx txq) error {
		return tx.QueryRowContext(ctx, `INSERT INTO organizations (id, name, profile, created_at, updated_at, signing)
			VALUES (?1, ?2, ?3, ?4, ?4, ?5)
			ON CONFLICT (id) DO UPDATE SET name = excluded.name, profile = excluded.profile, updated_at = excluded.updated_at,
				signing = CASE WHEN ?6 THEN organizations.signing ELSE excluded.signing END
			RETURNING created_at`,
			org.ID, org.Name, org.Profile, fmtTime(org.UpdatedAt), driver.NonNil(org.Signing), org.Signing == nil).Scan(&created)
	})
	if err != nil {
		return fmt.Errorf("registry/sqlite: put organization: %w", err)
	}
	org.CreatedAt, err = parseTime(created)
	return err
}

// SetOrganizationSigning implements registry.Organizations.
func (s *Store) SetOrganizationSigning(ctx context.Context, id string, signing []byte) error {
	return s.write(ctx, func(tx txq) error {
		res, err := tx.ExecContext(ctx, `UPDATE organizations SET signing = ?2, updated_at = ?3 WHERE id = ?1`,
			id, driver.NonNil(signing), fmtTime(driver.Now()))
		if err != nil {
			return fmt.Errorf("registry/sqlite: set signing: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("registry/sqlite: set signing: %w", err)
		} else if n == 0 {
			return registry.ErrNotFound
		}
		return nil
	})
}

// SetOrganizationFile implements registry.Organizations.
func (s *Store) SetOrganizationFile(ctx context.Context, id string, f registry.OrgFile, data []byte) error {
	col, err := driver.OrgFileColumn(f)
	if err != nil {
		return err
	}
	return s.write(ctx, func(tx txq) error {
		res, err := tx.ExecContext(ctx, `UPDATE organizations SET `+col+` = ?2, updated_at = ?3 WHERE id = ?1`,
			id, driver.NonNil(data), fmtTime(driver.Now()))
		if err != nil {
			return fmt.Errorf("registry/sqlite: set %s: %w", col, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("registry/sqlite: set %s: %w", col, err)
		} else if n == 0 {
			return registry.ErrNotFound
		}
		return nil
	})
}

// OrganizationFile implements registry.Organizations.
func (s *Store) OrganizationFile(ctx context.Context, id string, f registry.OrgFile) ([]byte, error) {
	col, err := driver.OrgFileColumn(f)
	if err != nil {
		return nil, err
	}
	var data []byte
	err = s.r().QueryRowContext(ctx, `SELECT `+col+` FROM organizations WHERE id = ?1`, id).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, registry.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("registry/sqlite: read %s: %w", col, err)
	}
	if len(data) == 0 {
		return nil, nil
	}
	return data, nil
}

func scanOrganization(row scanner) (*registry.Organization, error) {
	var org registry.Organization
	var created, updated string
	err := row.Scan(&org.ID, &org.Name, &org.Profile, &org.Signing, &org.HasEmblem, &org.HasLetterhead, &created, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, registry.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("registry/sqlite: scan organization: %w", err)
	}
	if org.CreatedAt, err = parseTime(created); err != nil {
		return nil, err
	}
	if org.UpdatedAt, err = parseTime(updated); err != nil {
		return nil, err
	}
	return &org, nil
}

// Intake reads the organization's profile for every order.
var qOrganization = stmt(`SELECT id, name, profile, signing, length(emblem) > 0, length(letterhead) > 0, created_at, updated_at FROM organizations WHERE id = ?1`)

// GetOrganization implements registry.Organizations.
func (s *Store) GetOrganization(ctx context.Context, id string) (*registry.Organization, error) {
	return scanOrganization(s.r().QueryRowContext(ctx, qOrganization, id))
}

// ListOrganizations implements registry.Organizations.
func (s *Store) ListOrganizations(ctx context.Context) ([]registry.Organization, error) {
	rows, err := s.r().QueryContext(ctx,
		`SELECT id, name, profile, NULL, length(emblem) > 0, length(letterhead) > 0, created_at, updated_at FROM organizations ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("registry/sqlite: list organizations: %w", err)
	}
	defer rows.Close()
	var out []registry.Organization
	for rows.Next() {
		org, err := scanOrganization(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *org)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("registry/sqlite: list organizations: %w", err)
	}
	return out, nil
}

// DeleteOrganization implements registry.Organizations.
func (s *Store) DeleteOrganization(ctx context.Context, id string) error {
	return s.deleteOne(ctx, "organization", `DELETE FROM organizations WHERE id = ?1`, id)
}

func (s *Store) deleteOne(ctx context.Context, what, query string, args ...any) error {
	n, err := s.deleteAll(ctx, "delete "+what, query, args...)
	if err == nil && n == 0 {
		return registry.ErrNotFound
	}
	return err
}

// CreateToken implements registry.Tokens.
func (s *Store) CreateToken(ctx context.Context, t *registry.Token) error {
	if err := driver.PrepareToken(t, driver.Now()); err != nil {
		return err
	}
	err := s.write(ctx, func(tx txq) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO tokens (id, hash, role, org_id, name, created_at)
			VALUES (?1, ?2, ?3, ?4, ?5, ?6)`,
			t.ID.String(), t.Hash, t.Role, t.OrgID, t.Name, fmtTime(t.CreatedAt))
		return err
	})
	if isUnique(err) {
		return fmt.Errorf("%w: token exists", registry.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("registry/sqlite: create token: %w", err)
	}
	return nil
}

const tokenCols = "id, hash, role, org_id, name, created_at"

// Every API request looks its token up.
var qTokenByHash = stmt(`SELECT ` + tokenCols + ` FROM tokens WHERE hash = ?1`)

func scanToken(row scanner) (*registry.Token, error) {
	var t registry.Token
	var id, created string
	err := row.Scan(&id, &t.Hash, &t.Role, &t.OrgID, &t.Name, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, registry.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("registry/sqlite: scan token: %w", err)
	}
	if t.ID, err = uuid.Parse(id); err != nil {
		return nil, fmt.Errorf("registry/sqlite: stored token id %q: %w", id, err)
	}
	if t.CreatedAt, err = parseTime(created); err != nil {
		return nil, err
	}
	return &t, nil
}

// TokenByHash implements registry.Tokens.
func (s *Store) TokenByHash(ctx context.Context, hash string) (*registry.Token, error) {
	t, err := scanToken(s.r().QueryRowContext(ctx, qTokenByHash, hash))
	return t, unavailable(err)
}

// ListTokens implements registry.Tokens.
func (s *Store) ListTokens(ctx context.Context, orgID string) ([]registry.Token, error) {
	query := `SELECT ` + tokenCols + ` FROM tokens`
	var args []any
	if orgID != "" {
		query += ` WHERE org_id = ?1`
		args = append(args, orgID)
	}
	rows, err := s.r().QueryContext(ctx, query+` ORDER BY created_at, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("registry/sqlite: list tokens: %w", err)
	}
	defer rows.Close()
	var out []registry.Token
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("registry/sqlite: list tokens: %w", err)
	}
	return out, nil
}

// DeleteToken implements registry.Tokens.
func (s *Store) DeleteToken(ctx context.Context, id uuid.UUID) error {
	return s.deleteOne(ctx, "token", `DELETE FROM tokens WHERE id = ?1`, id.String())
}

// CountTokens implements registry.Tokens.
func (s *Store) CountTokens(ctx context.Context) (int, error) {
	var n int
	if err := s.r().QueryRowContext(ctx, `SELECT count(*) FROM tokens`).Scan(&n); err != nil {
		return 0, fmt.Errorf("registry/sqlite: count tokens: %w", err)
	}
	return n, nil
}
