package api

import (
	"context"

	"github.com/google/uuid"

	"orders/internal/approval"
	"orders/internal/audit"
	"orders/internal/auth"
	"orders/internal/lifecycle"
	"orders/internal/orgtemplate"
	"orders/internal/registry"
	"orders/internal/signing"
)

// The parts of the registry each handler group uses. A group sees only its own, so what a
// handler can change is plain from its group's interface; the services (signing,
// lifecycle), authentication and the audit checkpoints declare theirs where they live.

// orderStore is what intake reads itself (orders.go, preview.go): the letterheads of
// organizations. Recording and editing drafts is the lifecycle service's.
type orderStore interface {
	GetOrganization(ctx context.Context, id string) (*registry.Organization, error)
}

// recordStore is what the archive, the export, the audit listings and the record's reads
// (signatures, acknowledgements, signed downloads) use (archive.go, lifecycle.go).
type recordStore interface {
	GetOrder(ctx context.Context, orgID string, id uuid.UUID) (*registry.Order, error)
	ListOrders(ctx context.Context, f registry.Filter) (orders []registry.Order, nextCursor string, err error)
	CountOrders(ctx context.Context, f registry.Filter) (int, error)
	ListSignatures(ctx context.Context, orgID string, orderID uuid.UUID) ([]registry.Signature, error)
	ListAcks(ctx context.Context, orgID string, orderID uuid.UUID) ([]registry.Ack, error)
	ListAudit(ctx context.Context, orgID string, orderID *uuid.UUID, limit int) ([]registry.AuditEntry, error)
	AppendAudit(ctx context.Context, e *registry.AuditEntry) error
}

// journalStore is what the journal routes use.
type journalStore interface {
	GetJournal(ctx context.Context, orgID, id string) (*registry.Journal, error)
	ListJournals(ctx context.Context, orgID string) ([]registry.Journal, error)
	PutJournalWithStarts(ctx context.Context, j *registry.Journal, starts []registry.JournalStart) error
}

// organizationStore is what the organization routes use.
type organizationStore interface {
	ListOrganizations(ctx context.Context) ([]registry.Organization, error)
	GetOrganization(ctx context.Context, id string) (*registry.Organization, error)
	PutOrganization(ctx context.Context, org *registry.Organization) error
	DeleteOrganization(ctx context.Context, id string) error
	SetOrganizationFile(ctx context.Context, id string, f registry.OrgFile, data []byte) error
	OrganizationFile(ctx context.Context, id string, f registry.OrgFile) ([]byte, error)
}

// healthStore is what readiness and the metrics read.
type healthStore interface {
	Ping(ctx context.Context) error
	CountByStatus(ctx context.Context) (map[registry.Status]int, error)
}

// Store is every part of the registry the API serves from: its handler groups, its
// services, authentication and the audit checkpoints. A registry.Store is one, so a command
// passes the registry it opened.
type Store interface {
	orderStore
	recordStore
	journalStore
	organizationStore
	healthStore
	registry.Batches
	auth.Store
	audit.Chain
	signing.Store
	lifecycle.Store
	orgtemplate.Store
	approval.Store
	// Control of execution, case files and the public check (records.go, cases.go).
	registry.Controls
	registry.Cases
	registry.PublicOrders
}

var _ Store = registry.Store(nil)
