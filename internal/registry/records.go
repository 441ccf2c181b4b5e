package registry

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// ControlItem is a clause of a registered order put under control of execution (контроль
// исполнения): a person responsible for it and a deadline. Control items are made from the
// order's clauses by the registration itself (Registered.Controls), in its transaction, so
// a registered order never lacks the items its clauses call for.
type ControlItem struct {
	ID      uuid.UUID // set by the registry
	OrgID   string    // set by the registry (the order's)
	OrderID uuid.UUID // set by the registry
	Clause  string    // the clause's number as printed: "2", "3.1"
	Text    string    // the clause's text
	// Responsible is the person named in the clause, as written there («Рожкова Т.В.»);
	// lists per person compare it exactly.
	Responsible string
	// Deadline is the clause's deadline as written («до 01.10.2022»); Due is the date read
	// from it, YYYY-MM-DD, or "" when the words name no date («постоянно»), and then the
	// item is never overdue.
	Deadline string
	Due      string
	// Controller is whom the order puts in charge of its execution: its control clause
	// («Контроль … возложить на заместителя директора Иванова И.И.»), or the signatory's
	// name when the head keeps it («оставляю за собой»). The person it names sees every item
	// of the order.
	Controller string
	// DoneAt, DoneBy and DoneNote: when, by whom and with what note the item was marked
	// executed (исполнено); DoneAt is nil while it is open.
	DoneAt    *time.Time
	DoneBy    string
	DoneNote  string
	CreatedAt time.Time // set by the registry

	// The order's number, date and title, filled by ListControls and GetControl.
	OrderNumber string
	OrderDate   string
	OrderTitle  string
}

// Control states as people read them; see ControlItem.StateOn.
const (
	ControlOnTime  = "on_time" // в срок: open, and the deadline has not passed
	ControlOverdue = "overdue" // просрочено: open after its deadline
	ControlDone    = "done"    // исполнено
)

// ControlStates lists the control states in the order pages show them.
var ControlStates = []string{ControlOnTime, ControlOverdue, ControlDone}

// StateOn is the item's state on day today (YYYY-MM-DD, the organization's calendar day):
// an open item is overdue from the day after its due date.
func (c *ControlItem) StateOn(today string) string {
	switch {
	case c.DoneAt != nil:
		return ControlDone
	case c.Due != "" && c.Due < today:
		return ControlOverdue
	}
	return ControlOnTime
}

// ControlFilter selects control items. Zero fields do not filter.
type ControlFilter struct {
	OrgID       string // "" only for admins: every organization
	OrderID     *uuid.UUID
	Responsible string // exact name, as in the clause
	// State keeps only items in that state on Today (ControlOnTime, ControlOverdue,
	// ControlDone); Today is required with it.
	State string
	Today string
	Limit int // default DefaultLimit, at most MaxLimit
}

// Controls is the part of the registry that keeps control items and the secret addresses of
// people's calendar feeds.
type Controls interface {
	// ListControls returns the items f selects, the earliest due first (undated last), then
	// by order and clause.
	ListControls(ctx context.Context, f ControlFilter) ([]ControlItem, error)
	// GetControl returns one item of orgID ("" for any), or ErrNotFound.
	GetControl(ctx context.Context, orgID string, id uuid.UUID) (*ControlItem, error)
	// MarkControlDone marks an open item executed, with who and a note, and appends audit
	// (if not nil; its organization and order are set) in the same transaction. An item
	// already marked is ErrConflict and keeps its first mark: it is the record.
	MarkControlDone(ctx context.Context, orgID string, id uuid.UUID, by, note string, audit *AuditEntry) (*ControlItem, error)
	// CountControls counts the items of every organization by state on day today, for
	// metrics; every state of ControlStates is present.
	CountControls(ctx context.Context, today string) (map[string]int, error)

	// PutCalendarFeed stores the SHA-256 (hex) of a new secret feed address of a person of
	// an organization, replacing the person's previous one, which stops working.
	PutCalendarFeed(ctx context.Context, f *CalendarFeed) error
	// CalendarFeedByHash finds a feed by the hash of its secret, or ErrNotFound.
	CalendarFeedByHash(ctx context.Context, hash string) (*CalendarFeed, error)
	// DeleteCalendarFeed revokes the person's feed, or ErrNotFound if there is none.
	DeleteCalendarFeed(ctx context.Context, orgID, person string) error
}

// CalendarFeed is a person's iCalendar feed of control deadlines. Only a hash of its secret
// is kept: a copy of the database does not open anyone's calendar.
type CalendarFeed struct {
	Hash      string // sha256 hex of the secret in the address
	OrgID     string
	Person    string // the name as clauses write it («Рожкова Т.В.»)
	CreatedBy string
	CreatedAt time.Time // set by the registry
}

// Case is a case (дело) of an organization's nomenclature (номенклатура дел).
type Case struct {
	OrgID string
	Index string // «01-05»: digits and hyphens, unique in the organization
	Title string // «Приказы по основной деятельности»
	// Retention is the period as the nomenclature writes it: «постоянно», «75 лет ЭПК»,
	// «5 лет». RetentionYears is read from it (0 for «постоянно»).
	Retention      string
	RetentionYears int
	// Journal, if not "", is the registration journal whose orders are filed into this
	// case when they are registered (one case per journal).
	Journal   string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Permanent reports whether the case is kept forever.
func (c *Case) Permanent() bool { return c.RetentionYears == 0 }

// CaseVolume is one year of a case (the unit an inventory lists and an archive takes):
// how many orders are filed in it and the dates of the first and last.
type CaseVolume struct {
	Case
	Year        int
	Count       int
	First, Last string // YYYY-MM-DD
}

// ExpiresAfter is the last year the volume must be kept: a period counts from 1 January of
// the year after the case was closed (Приказ Росархива № 77, п. 2.5). 0 for a permanent case.
func (v *CaseVolume) ExpiresAfter() int {
	if v.Permanent() {
		return 0
	}
	return v.Year + v.RetentionYears
}

// Filing says which case an order is filed in.
type Filing struct {
	OrderID   uuid.UUID
	OrgID     string
	CaseIndex string
	Year      int // the year of the order's date: a case is kept by years
	FiledBy   string
	FiledAt   time.Time
}

// Cases is the part of the registry that keeps the nomenclature and the filing of orders.
type Cases interface {
	// PutCase inserts or replaces c by (OrgID, Index), filling its times. A journal that
	// another case of the organization already takes is ErrConflict.
	PutCase(ctx context.Context, c *Case) error
	// ListCases returns the organization's cases ordered by index.
	ListCases(ctx context.Context, orgID string) ([]Case, error)
	// DeleteCase deletes a case with no orders filed in it; a case holding orders is
	// ErrConflict (its records outlive the nomenclature), an unknown one ErrNotFound.
	DeleteCase(ctx context.Context, orgID, index string) error
	// FileOrder files a registered, signed or cancelled order (a draft is a
	// *LifecycleError) into a case of its organization (unknown: ErrInvalid), replacing an
	// earlier filing, and appends audit (if not nil) in the same transaction.
	FileOrder(ctx context.Context, orgID string, orderID uuid.UUID, caseIndex, by string, audit *AuditEntry) (*Filing, error)
	// FilingOf returns the order's filing, or ErrNotFound if it is not filed.
	FilingOf(ctx context.Context, orgID string, orderID uuid.UUID) (*Filing, error)
	// CaseOrders returns the orders filed in a case in a year, by date and sequence,
	// without Draft and SearchText.
	CaseOrders(ctx context.Context, orgID, caseIndex string, year int) ([]Order, error)
	// CaseVolumes returns every (case, year) holding orders, by index and year.
	CaseVolumes(ctx context.Context, orgID string) ([]CaseVolume, error)
}

// PublicOrders is the part of the registry that keeps which orders their organization made
// public: the public check shows the text of those only.
type PublicOrders interface {
	// SetOrderPublic marks a registered (or later) order public or not, and appends audit
	// (if not nil) in the same transaction. A draft is a *LifecycleError.
	SetOrderPublic(ctx context.Context, orgID string, orderID uuid.UUID, public bool, audit *AuditEntry) error
	// OrderPublic reports whether the order is marked public.
	OrderPublic(ctx context.Context, orderID uuid.UUID) (bool, error)
}

var (
	caseIndex = regexp.MustCompile(`^[0-9А-ЯA-Z]{1,8}(-[0-9А-ЯA-Z]{1,8}){0,3}$`)
	years     = regexp.MustCompile(`^(\d{1,3})\s+(год|года|лет)(\s|$)`)
)

// ValidCaseIndex reports whether s is a case index: digits or capital letters in groups
// joined by «-», e.g. «01-05».
func ValidCaseIndex(s string) bool { return caseIndex.MatchString(s) }

// RetentionYears reads a retention period as a nomenclature writes it: «постоянно» is 0,
// «75 лет ЭПК», «5 лет», «1 год», «3 года» their years; «до минования надобности» and the
// like are not periods the registry can count and are ErrInvalid.
func RetentionYears(s string) (int, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "постоянно" {
		return 0, nil
	}
	m := years.FindStringSubmatch(s)
	if m == nil {
		return 0, fmt.Errorf("%w: retention %q: «постоянно» or «N лет», e.g. «5 лет», «75 лет ЭПК»", ErrInvalid, s)
	}
	n, _ := strconv.Atoi(m[1])
	if n == 0 {
		return 0, fmt.Errorf("%w: retention of 0 years", ErrInvalid)
	}
	return n, nil
}
