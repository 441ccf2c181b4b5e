package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"orders/internal/registry"
	"orders/internal/registry/internal/driver"
)

// PutOrganization implements registry.Organizations.
func (s *Store) PutOrganization(ctx context.Context, org *registry.Organization) error {
	if err := driver.PrepareOrganization(org, driver.Now()); err != nil {
		return err
	}
	// $6 (keep) leaves a stored signing certificate alone when the caller did not set one.
	err := s.pool.QueryRow(ctx, `INSERT INTO organizations (id, name, profile, created_at, updated_at, signing)
		VALUES ($1, $2, $3, $4, $4, $5)
		ON CONFLICT (id) DO UPDATE SET name = excluded.name, profile = excluded.profile, updated_at = excluded.updated_at,
			signing = CASE WHEN $6 THEN organizations.signing ELSE excluded.signing END
		RETURNING created_at`,
		org.ID, org.Name, org.Profile, org.UpdatedAt, driver.NonNil(org.Signing), org.Signing == nil).Scan(&org.CreatedAt)
	if err != nil {
		return fmt.Errorf("registry/postgres: put organization: %w", err)
	}
	org.CreatedAt = org.CreatedAt.UTC()
	return nil
}

// SetOrganizationSigning implements registry.Organizations.
func (s *Store) SetOrganizationSigning(ctx context.Context, id string, signing []byte) error {
	tag, err := s.pool.Exec(ctx, `UPDATE organizations SET signing = $2, updated_at = $3 WHERE id = $1`,
		id, driver.NonNil(signing), driver.Now())
	if err != nil {
		return fmt.Errorf("registry/postgres: set signing: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return registry.ErrNotFound
	}
	return nil
}

// SetOrganizationFile implements registry.Organizations.
func (s *Store) SetOrganizationFile(ctx context.Context, id string, f registry.OrgFile, data []byte) error {
	col, err := driver.OrgFileColumn(f)
	if err != nil {
		return err
	}
	tag, err := s.pool.Exec(ctx, `UPDATE organizations SET `+col+` = $2, updated_at = $3 WHERE id = $1`,
		id, driver.NonNil(data), driver.Now())
	if err != nil {
		return fmt.Errorf("registry/postgres: set %s: %w", col, err)
	}
	if tag.RowsAffected() == 0 {
		return registry.ErrNotFound
	}
	return nil
}

// OrganizationFile implements registry.Organizations.
func (s *Store) OrganizationFile(ctx context.Context, id string, f registry.OrgFile) ([]byte, error) {
	col, err := driver.OrgFileColumn(f)
	if err != nil {
		return nil, err
	}
	var data []byte
	err = s.pool.QueryRow(ctx, `SELECT `+col+` FROM organizations WHERE id = $1`, id).Scan(&data)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, registry.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("registry/postgres: read %s: %w", col, err)
	}
	if len(data) == 0 {
		return nil, nil
	}
	return data, nil
}

func scanOrganization(row pgx.Row) (*registry.Organization, error) {
	var org registry.Organization
	err := row.Scan(&org.ID, &org.Name, &org.Profile, &org.Signing, &org.HasEmblem, &org.HasLetterhead, &org.CreatedAt, &org.UpdatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, registry.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("registry/postgres: scan organization: %w", err)
	}
	org.CreatedAt, org.UpdatedAt = org.CreatedAt.UTC(), org.UpdatedAt.UTC()
	return &org, nil
}

// GetOrganization implements registry.Organizations.
func (s *Store) GetOrganization(ctx context.Context, id string) (*registry.Organization, error) {
	return scanOrganization(s.pool.QueryRow(ctx,
		`SELECT id, name, profile, signing, length(emblem) > 0, length(letterhead) > 0, created_at, updated_at FROM organizations WHERE id = $1`, id))
}

// ListOrganizations implements registry.Organizations.
func (s *Store) ListOrganizations(ctx context.Context) ([]registry.Organization, error) {
	rows, err := s.pool.Query(ctx,
		`SELECT id, name, profile, NULL::bytea, length(emblem) > 0, length(letterhead) > 0, created_at, updated_at FROM organizations ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("registry/postgres: list organizations: %w", err)
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
		return nil, fmt.Errorf("registry/postgres: list organizations: %w", err)
	}
	return out, nil
}

// DeleteOrganization implements registry.Organizations.
func (s *Store) DeleteOrganization(ctx context.Context, id string) error {
	return s.deleteOne(ctx, "organization", `DELETE FROM organizations WHERE id = $1`, id)
}

func (s *Store) deleteOne(ctx context.Context, what, query string, args ...any) error {
	tag, err := s.pool.Exec(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("registry/postgres: delete %s: %w", what, err)
	}
	if tag.RowsAffected() == 0 {
		return registry.ErrNotFound
	}
	return nil
}

// CreateToken implements registry.Tokens.
func (s *Store) CreateToken(ctx context.Context, t *registry.Token) error {
	if err := driver.PrepareToken(t, driver.Now()); err != nil {
		return err
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO tokens (id, hash, role, org_id, name, created_at)
		VALUES ($1, $2, $3, $4, $5, $6)`,
		t.ID, t.Hash, t.Role, t.OrgID, t.Name, t.CreatedAt)
	if isUnique(err) {
		return fmt.Errorf("%w: token exists", registry.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("registry/postgres: create token: %w", err)
	}
	return nil
}

const tokenCols = "id, hash, role, org_id, name, created_at"

func scanToken(row pgx.Row) (*registry.Token, error) {
	var t registry.Token
	err := row.Scan(&t.ID, &t.Hash, &t.Role, &t.OrgID, &t.Name, &t.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, registry.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("registry/postgres: scan token: %w", err)
	}
	t.CreatedAt = t.CreatedAt.UTC()
	return &t, nil
}

// TokenByHash implements registry.Tokens.
func (s *Store) TokenByHash(ctx context.Context, hash string) (*registry.Token, error) {
	return scanToken(s.pool.QueryRow(ctx, `SELECT `+tokenCols+` FROM tokens WHERE hash = $1`, hash))
}

// ListTokens implements registry.Tokens.
func (s *Store) ListTokens(ctx context.Context, orgID string) ([]registry.Token, error) {
	query := `SELECT ` + tokenCols + ` FROM tokens`
	var args []any
	if orgID != "" {
		query += ` WHERE org_id = $1`
		args = append(args, orgID)
	}
	rows, err := s.pool.Query(ctx, query+` ORDER BY created_at, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("registry/postgres: list tokens: %w", err)
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
		return nil, fmt.Errorf("registry/postgres: list tokens: %w", err)
	}
	return out, nil
}

// DeleteToken implements registry.Tokens.
func (s *Store) DeleteToken(ctx context.Context, id uuid.UUID) error {
	return s.deleteOne(ctx, "token", `DELETE FROM tokens WHERE id = $1`, id)
}

// CountTokens implements registry.Tokens.
func (s *Store) CountTokens(ctx context.Context) (int, error) {
	var n int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM tokens`).Scan(&n); err != nil {
		return 0, fmt.Errorf("registry/postgres: count tokens: %w", err)
	}
	return n, nil
}
