// Package control is the control of execution (контроль исполнения): it makes control items
// of a registered order's clauses, lists them per person and per organization, marks them
// executed, and serves each person's deadlines as an iCalendar feed behind a secret address.
// It knows nothing of HTTP; internal/api and internal/web call it.
package control

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"orders/internal/auth"
	"orders/internal/decline"
	"orders/internal/order"
	"orders/internal/registry"
	"orders/internal/ru"
)

// Store is what the service needs of the registry.
type Store interface {
	ListControls(ctx context.Context, f registry.ControlFilter) ([]registry.ControlItem, error)
	MarkControlDone(ctx context.Context, orgID string, id uuid.UUID, by, note string, audit *registry.AuditEntry) (*registry.ControlItem, error)
	PutCalendarFeed(ctx context.Context, f *registry.CalendarFeed) error
	CalendarFeedByHash(ctx context.Context, hash string) (*registry.CalendarFeed, error)
	DeleteCalendarFeed(ctx context.Context, orgID, person string) error
}

// Service is the control of execution over a registry.
type Service struct {
	Store Store
	// Now is the clock; nil is time.Now. Days are Moscow calendar days (ru.Moscow).
	Now func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Today is the Moscow calendar day, YYYY-MM-DD, by which items are on time or overdue.
func (s *Service) Today() string { return s.now().In(ru.Moscow).Format(time.DateOnly) }

// FromDraft makes the control items of a draft: every clause, at any depth, that names both
// a responsible person and a deadline. The order's controller is its control clause, or the
// signatory when the head keeps control «за собой».
func FromDraft(d *order.Draft) []registry.ControlItem {
	controller := strings.TrimSpace(d.Control)
	if strings.Contains(strings.ToLower(controller), "за собой") {
		controller = d.Signatory.Name
	}
	var out []registry.ControlItem
	var walk func(cs []order.Clause, prefix string)
	walk = func(cs []order.Clause, prefix string) {
		for i, c := range cs {
			num := prefix + strconv.Itoa(i+1)
			if strings.TrimSpace(c.Responsible) != "" && strings.TrimSpace(c.Deadline) != "" {
				out = append(out, registry.ControlItem{
					Clause: num, Text: strings.TrimSpace(c.Text), Responsible: strings.TrimSpace(c.Responsible),
					Deadline: strings.TrimSpace(c.Deadline), Due: Due(c.Deadline), Controller: controller,
				})
			}
			walk(c.Children, num+".")
		}
	}
	walk(d.Clauses, "")
	return out
}

var (
	numericDate = regexp.MustCompile(`(\d{1,2})\.(\d{1,2})\.(\d{4})`)
	isoDate     = regexp.MustCompile(`(\d{4})-(\d{2})-(\d{2})`)
	wordDate    = regexp.MustCompile(`(\d{1,2})\s+(января|февраля|марта|апреля|мая|июня|июля|августа|сентября|октября|ноября|декабря)\s+(\d{4})`)
	months      = map[string]int{"января": 1, "февраля": 2, "марта": 3, "апреля": 4, "мая": 5, "июня": 6,
		"июля": 7, "августа": 8, "сентября": 9, "октября": 10, "ноября": 11, "декабря": 12}
)

// Due reads the date a deadline names: «до 01.10.2022», «в срок до 1 октября 2022 г.»,
// «2022-10-01». Of several dates («с 01.09.2022 по 30.09.2022») the last is the deadline.
// Words that name no date («постоянно», «ежеквартально») give "".
func Due(deadline string) string {
	type hit struct {
		at   int
		date string
	}
	var best hit
	best.at = -1
	consider := func(at, y, m, d int) {
		t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
		if t.Day() != d || int(t.Month()) != m || at < best.at {
			return
		}
		best = hit{at, t.Format(time.DateOnly)}
	}
	for _, m := range numericDate.FindAllStringSubmatchIndex(deadline, -1) {
		d, _ := strconv.Atoi(deadline[m[2]:m[3]])
		mo, _ := strconv.Atoi(deadline[m[4]:m[5]])
		y, _ := strconv.Atoi(deadline[m[6]:m[7]])
		consider(m[0], y, mo, d)
	}
	for _, m := range isoDate.FindAllStringSubmatchIndex(deadline, -1) {
		y, _ := strconv.Atoi(deadline[m[2]:m[3]])
		mo, _ := strconv.Atoi(deadline[m[4]:m[5]])
		d, _ := strconv.Atoi(deadline[m[6]:m[7]])
		consider(m[0], y, mo, d)
	}
	lower := strings.ToLower(deadline)
	for _, m := range wordDate.FindAllStringSubmatchIndex(lower, -1) {
		d, _ := strconv.Atoi(lower[m[2]:m[3]])
		y, _ := strconv.Atoi(lower[m[6]:m[7]])
		consider(m[0], y, months[lower[m[4]:m[5]]], d)
	}
	return best.date
}

// MayMark reports whether a person of role may mark item executed: its responsible person,
// the one the control clause puts in charge, or whoever auth.Can lets mark any item.
func MayMark(role, person string, item registry.ControlItem) bool {
	return auth.Can(role, auth.ActMarkAnyControl) || item.Responsible == person || Names(item.Controller, person)
}

// Names reports whether text names person in any case: a control clause puts «Иванова
// И.И.» in charge of what Иванов И.И. sees.
func Names(text, person string) bool {
	person = strings.TrimSpace(person)
	if person == "" || text == "" {
		return false
	}
	for c := decline.Nominative; c <= decline.Prepositional; c++ {
		if strings.Contains(text, decline.Name(person, c)) {
			return true
		}
	}
	return false
}

// PersonItems is what person sees: the items they are responsible for and every item of
// the orders whose control clause names them, earliest due first.
func (s *Service) PersonItems(ctx context.Context, orgID, person string) ([]registry.ControlItem, error) {
	all, err := s.Store.ListControls(ctx, registry.ControlFilter{OrgID: orgID, Limit: registry.MaxLimit})
	if err != nil {
		return nil, err
	}
	var out []registry.ControlItem
	for _, c := range all {
		if c.Responsible == person || Names(c.Controller, person) {
			out = append(out, c)
		}
	}
	return out, nil
}

// List returns the organization's items, of one state on today if state is not "".
func (s *Service) List(ctx context.Context, orgID, state string) ([]registry.ControlItem, error) {
	f := registry.ControlFilter{OrgID: orgID, State: state, Limit: registry.MaxLimit}
	if state != "" {
		f.Today = s.Today()
	}
	return s.Store.ListControls(ctx, f)
}

// Mark marks an item executed by by with note, audited as «control-done» by actor.
func (s *Service) Mark(ctx context.Context, orgID string, id uuid.UUID, actor, by, note string) (*registry.ControlItem, error) {
	details := fmt.Appendf(nil, `{"control":%q,"by":%q}`, id, by)
	return s.Store.MarkControlDone(ctx, orgID, id, by, strings.TrimSpace(note),
		&registry.AuditEntry{Actor: actor, Action: "control-done", Details: details})
}

// FeedSecret makes a new secret address token of person's calendar feed; the old one stops
// working. Only its hash is stored: the secret is shown once.
func (s *Service) FeedSecret(ctx context.Context, orgID, person, by string) (string, error) {
	b := make([]byte, 20)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	secret := strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
	err := s.Store.PutCalendarFeed(ctx, &registry.CalendarFeed{Hash: FeedHash(secret), OrgID: orgID, Person: person, CreatedBy: by})
	return secret, err
}

// FeedHash is what the registry keeps of a feed secret.
func FeedHash(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// RevokeFeed ends person's feed.
func (s *Service) RevokeFeed(ctx context.Context, orgID, person string) error {
	return s.Store.DeleteCalendarFeed(ctx, orgID, person)
}

// Feed is the iCalendar of the person whose secret this is; registry.ErrNotFound for an
// unknown or revoked secret.
func (s *Service) Feed(ctx context.Context, secret string) ([]byte, error) {
	f, err := s.Store.CalendarFeedByHash(ctx, FeedHash(secret))
	if err != nil {
		return nil, err
	}
	items, err := s.PersonItems(ctx, f.OrgID, f.Person)
	if err != nil {
		return nil, err
	}
	return Calendar(f.Person, items, s.now()), nil
}
