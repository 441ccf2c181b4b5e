package driver

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"orders/internal/registry"
)

// PrepareControls checks the control items a registration brings and fills what the
// registry sets.
func PrepareControls(o *registry.Order, items []registry.ControlItem, now time.Time) ([]registry.ControlItem, error) {
	out := make([]registry.ControlItem, len(items))
	for i, c := range items {
		if strings.TrimSpace(c.Responsible) == "" || strings.TrimSpace(c.Clause) == "" {
			return nil, fmt.Errorf("%w: control item %d without clause or responsible person", registry.ErrInvalid, i)
		}
		if err := checkDate("control due date", c.Due); err != nil {
			return nil, err
		}
		c.ID, c.OrgID, c.OrderID, c.CreatedAt = uuid.Must(uuid.NewV7()), o.OrgID, o.ID, now
		c.DoneAt, c.DoneBy, c.DoneNote = nil, "", ""
		c.OrderNumber, c.OrderDate, c.OrderTitle = "", "", ""
		out[i] = c
	}
	return out, nil
}

// CheckControlFilter checks f and applies the default and largest limit.
func CheckControlFilter(f *registry.ControlFilter) error {
	if f.State != "" {
		if f.State != registry.ControlOnTime && f.State != registry.ControlOverdue && f.State != registry.ControlDone {
			return fmt.Errorf("%w: control state %q", registry.ErrInvalid, f.State)
		}
		if f.Today == "" {
			return fmt.Errorf("%w: control state without today's date", registry.ErrInvalid)
		}
	}
	if err := checkDate("today", f.Today); err != nil {
		return err
	}
	f.Limit = Limit(f.Limit)
	return nil
}

// CheckMark checks a MarkControlDone request.
func CheckMark(by, note string) error {
	if strings.TrimSpace(by) == "" {
		return fmt.Errorf("%w: an item marked executed by nobody", registry.ErrInvalid)
	}
	if len(note) > 4000 {
		return fmt.Errorf("%w: a note of %d bytes", registry.ErrInvalid, len(note))
	}
	return nil
}

// PrepareFeed checks a calendar feed before either driver stores it.
func PrepareFeed(f *registry.CalendarFeed, now time.Time) error {
	if err := checkSHA256("calendar feed", f.Hash); err != nil {
		return err
	}
	if f.OrgID == "" || strings.TrimSpace(f.Person) == "" {
		return fmt.Errorf("%w: calendar feed without organization or person", registry.ErrInvalid)
	}
	f.CreatedAt = now
	return nil
}

// PrepareCase checks c and fills RetentionYears and the times.
func PrepareCase(c *registry.Case, now time.Time) error {
	c.Index, c.Title, c.Retention = strings.TrimSpace(c.Index), strings.TrimSpace(c.Title), strings.TrimSpace(c.Retention)
	switch {
	case c.OrgID == "":
		return fmt.Errorf("%w: case without organization", registry.ErrInvalid)
	case !registry.ValidCaseIndex(c.Index):
		return fmt.Errorf("%w: case index %q: digits or capital letters in groups joined by «-», e.g. «01-05»", registry.ErrInvalid, c.Index)
	case c.Title == "":
		return fmt.Errorf("%w: case without title", registry.ErrInvalid)
	}
	n, err := registry.RetentionYears(c.Retention)
	if err != nil {
		return err
	}
	c.RetentionYears = n
	c.CreatedAt, c.UpdatedAt = now, now
	return nil
}

// CheckFile checks that o may be filed into a case.
func CheckFile(o *registry.Order) error {
	if o.State == registry.StateDraft {
		return &registry.LifecycleError{Current: o.State, Action: "file"}
	}
	if len(o.Date) < 4 {
		return fmt.Errorf("%w: order %s has no date", registry.ErrInvalid, o.ID)
	}
	return nil
}

// OrderYear is the year of an order's date, the year of the case volume it is filed in.
func OrderYear(o *registry.Order) int {
	y, _ := strconv.Atoi(o.Date[:min(4, len(o.Date))])
	return y
}

// AuditFor prepares e (if not nil) as the audit entry of an event of orderID in orgID; ok is
// false for nil.
func AuditFor(e *registry.AuditEntry, orgID string, orderID uuid.UUID) (ok bool, err error) {
	if e == nil {
		return false, nil
	}
	e.OrgID, e.OrderID = orgID, &orderID
	return true, CheckAudit(e)
}
