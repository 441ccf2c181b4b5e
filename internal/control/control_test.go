package control

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"orders/internal/order"
	"orders/internal/registry"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestDue(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"до 01.10.2022", "2022-10-01"},
		{"в срок до 1.9.2026 г.", "2026-09-01"},
		{"до 1 октября 2022 г.", "2022-10-01"},
		{"До 15 Марта 2026", "2026-03-15"},
		{"2026-05-20", "2026-05-20"},
		{"с 01.09.2026 по 30.09.2026", "2026-09-30"},
		{"с 1 сентября 2026 по 15.10.2026", "2026-10-15"},
		{"постоянно", ""},
		{"ежеквартально, до 5 числа", ""},
		{"до 31.02.2026", ""}, // no such day
		{"", ""},
	} {
		if got := Due(c.in); got != c.want {
			t.Errorf("Due(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestFromDraft(t *testing.T) {
	d := &order.Draft{
		Clauses: []order.Clause{
			{Text: "Провести олимпиаду.", Responsible: "Рожкова Т.В.", Deadline: "до 10.03.2026"},
			{Text: "Без срока.", Responsible: "Иванов И.И."},
			{Text: "Организовать:", Children: []order.Clause{
				{Text: "площадки;", Responsible: "Иванов И.И.", Deadline: "до 20.03.2026"},
				{Text: "проверку.", Deadline: "до 21.03.2026"},
			}},
			{Text: "Контролировать.", Responsible: "Рожкова Т.В.", Deadline: "постоянно"},
		},
		Control:   "Контроль за исполнением приказа возложить на заместителя начальника Петрова П.П.",
		Signatory: order.Signatory{Name: "А.Б. Начальникова"},
	}
	got := FromDraft(d)
	var summary []string
	for _, c := range got {
		summary = append(summary, c.Clause+"|"+c.Responsible+"|"+c.Due)
		if c.Controller != d.Control {
			t.Errorf("controller %q", c.Controller)
		}
	}
	if want := []string{"1|Рожкова Т.В.|2026-03-10", "3.1|Иванов И.И.|2026-03-20", "4|Рожкова Т.В.|"}; !slices.Equal(summary, want) {
		t.Errorf("FromDraft = %q, want %q", summary, want)
	}
	d.Control = "Контроль за исполнением настоящего приказа оставляю за собой."
	if got := FromDraft(d); got[0].Controller != "А.Б. Начальникова" {
		t.Errorf("controller «за собой» = %q, want the signatory", got[0].Controller)
	}
}

func TestNames(t *testing.T) {
	for _, c := range []struct {
		text, person string
		want         bool
	}{
		{"возложить на заместителя начальника Петрова П.П.", "Петров П.П.", true},
		{"возложить на Рожкову Т.В.", "Рожкова Т.В.", true},
		{"А.Б. Начальникова", "А.Б. Начальникова", true},
		{"возложить на Петрова П.П.", "Иванов И.И.", false},
		{"", "Иванов И.И.", false},
	} {
		if got := Names(c.text, c.person); got != c.want {
			t.Errorf("Names(%q, %q) = %v, want %v", c.text, c.person, got, c.want)
		}
	}
}

// fakeStore keeps items in memory for the service tests; the registry's own behaviour is
// proved by the conformance suite.
type fakeStore struct {
	items []registry.ControlItem
	feeds map[string]registry.CalendarFeed
}

func (f *fakeStore) ListControls(_ context.Context, fl registry.ControlFilter) ([]registry.ControlItem, error) {
	var out []registry.ControlItem
	for _, c := range f.items {
		if c.OrgID == fl.OrgID && (fl.State == "" || c.StateOn(fl.Today) == fl.State) {
			out = append(out, c)
		}
	}
	return out, nil
}

func (f *fakeStore) MarkControlDone(context.Context, string, uuid.UUID, string, string, *registry.AuditEntry) (*registry.ControlItem, error) {
	return nil, registry.ErrConflict
}

func (f *fakeStore) PutCalendarFeed(_ context.Context, c *registry.CalendarFeed) error {
	for h, old := range f.feeds {
		if old.OrgID == c.OrgID && old.Person == c.Person {
			delete(f.feeds, h)
		}
	}
	f.feeds[c.Hash] = *c
	return nil
}

func (f *fakeStore) CalendarFeedByHash(_ context.Context, h string) (*registry.CalendarFeed, error) {
	c, ok := f.feeds[h]
	if !ok {
		return nil, registry.ErrNotFound
	}
	return &c, nil
}

func (f *fakeStore) DeleteCalendarFeed(_ context.Context, org, person string) error {
	for h, c := range f.feeds {
		if c.OrgID == org && c.Person == person {
			delete(f.feeds, h)
			return nil
		}
	}
	return registry.ErrNotFound
}

func sampleItems() []registry.ControlItem {
	done := time.Date(2026, 3, 9, 10, 0, 0, 0, time.UTC)
	base := registry.ControlItem{OrgID: "org", OrderNumber: "37-о", OrderDate: "2026-03-02",
		OrderTitle: "О проведении олимпиады; этап 1, школьный", Controller: "Контроль возложить на Петрова П.П."}
	a, b, c, d := base, base, base, base
	a.ID, a.Clause, a.Text, a.Responsible, a.Deadline, a.Due = uuid.MustParse("00000000-0000-7000-8000-000000000001"), "2", "Провести олимпиаду по математике, физике и информатике среди учащихся 5–11 классов общеобразовательных организаций.", "Рожкова Т.В.", "до 10.03.2026", "2026-03-10"
	b.ID, b.Clause, b.Text, b.Responsible, b.Deadline, b.Due = uuid.MustParse("00000000-0000-7000-8000-000000000002"), "3", "Подвести итоги.", "Иванов И.И.", "до 20.03.2026", "2026-03-20"
	b.DoneAt, b.DoneBy, b.DoneNote = &done, "Иванов И.И.", "протокол № 5"
	c.ID, c.Clause, c.Text, c.Responsible, c.Deadline = uuid.MustParse("00000000-0000-7000-8000-000000000003"), "4", "Контролировать.", "Рожкова Т.В.", "постоянно"
	d.ID, d.Clause, d.Responsible, d.Due, d.Controller = uuid.MustParse("00000000-0000-7000-8000-000000000004"), "5", "Сидоров С.С.", "2026-04-01", ""
	return []registry.ControlItem{a, b, c, d}
}

// TestCalendar checks the feed against RFC 5545 (validICS) and a golden file.
func TestCalendar(t *testing.T) {
	now := time.Date(2026, 3, 15, 9, 30, 0, 0, time.UTC)
	got := Calendar("Рожкова Т.В.", sampleItems(), now)
	validICS(t, got)
	golden := filepath.Join("testdata", "feed.ics")
	if *update {
		os.WriteFile(golden, got, 0o644)
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("feed differs from %s (go test -update to rewrite):\n%s", golden, got)
	}
}

// validICS is the validator: the rules of RFC 5545 this feed relies on, checked line by line.
func validICS(t *testing.T, data []byte) {
	t.Helper()
	if !bytes.HasSuffix(data, []byte("\r\n")) {
		t.Fatal("the feed does not end with CRLF")
	}
	raw := strings.Split(strings.TrimSuffix(string(data), "\r\n"), "\r\n")
	var lines []string
	for i, l := range raw {
		if strings.ContainsAny(l, "\r\n") {
			t.Errorf("line %d: a bare CR or LF", i+1)
		}
		if len(l) > 75 {
			t.Errorf("line %d: %d octets, more than 75", i+1, len(l))
		}
		if !utf8.ValidString(l) {
			t.Errorf("line %d: a UTF-8 sequence split by folding", i+1)
		}
		if strings.HasPrefix(l, " ") {
			if len(lines) == 0 {
				t.Fatalf("line %d: a continuation first", i+1)
			}
			lines[len(lines)-1] += l[1:]
			continue
		}
		lines = append(lines, l)
	}
	name := regexp.MustCompile(`^([A-Z][A-Z0-9-]*)((?:;[A-Z-]+=[^:;]+)*):(.*)$`)
	var stack []string
	var props []map[string]int // per open component
	for i, l := range lines {
		m := name.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("content line %d is not NAME[;PARAM=V]:VALUE: %q", i+1, l)
		}
		switch n, v := m[1], m[3]; n {
		case "BEGIN":
			stack = append(stack, v)
			props = append(props, map[string]int{})
		case "END":
			if len(stack) == 0 || stack[len(stack)-1] != v {
				t.Fatalf("line %d: END:%s does not close %v", i+1, v, stack)
			}
			need := map[string][]string{"VEVENT": {"UID", "DTSTAMP", "DTSTART"}, "VCALENDAR": {"VERSION", "PRODID"}}[v]
			for _, p := range need {
				if n := props[len(props)-1][p]; n != 1 {
					t.Errorf("%s ending at line %d has %d %s, want 1", v, i+1, n, p)
				}
			}
			stack, props = stack[:len(stack)-1], props[:len(props)-1]
		default:
			if len(stack) == 0 {
				t.Fatalf("line %d: %s outside a component", i+1, n)
			}
			props[len(props)-1][n]++
			switch n {
			case "DTSTART", "DTEND":
				if m[2] != ";VALUE=DATE" || !regexp.MustCompile(`^\d{8}$`).MatchString(v) {
					t.Errorf("line %d: %s%s:%s is not a DATE", i+1, n, m[2], v)
				}
			case "DTSTAMP":
				if _, err := time.Parse("20060102T150405Z", v); err != nil {
					t.Errorf("line %d: DTSTAMP %q", i+1, v)
				}
			case "SUMMARY", "DESCRIPTION", "X-WR-CALNAME":
				// In TEXT, «,» and «;» must be escaped and a backslash starts an escape.
				unesc := regexp.MustCompile(`\\[\\;,nN]`).ReplaceAllString(v, "")
				if strings.ContainsAny(unesc, `,;\`) {
					t.Errorf("line %d: unescaped TEXT %q", i+1, v)
				}
			}
		}
	}
	if len(stack) != 0 {
		t.Errorf("components left open: %v", stack)
	}
}

func TestFeedSecret(t *testing.T) {
	st := &fakeStore{items: sampleItems(), feeds: map[string]registry.CalendarFeed{}}
	s := &Service{Store: st, Now: func() time.Time { return time.Date(2026, 3, 15, 9, 30, 0, 0, time.UTC) }}
	ctx := t.Context()
	secret, err := s.FeedSecret(ctx, "org", "Рожкова Т.В.", "rozhkova")
	if err != nil || len(secret) < 30 {
		t.Fatalf("FeedSecret = %q, %v", secret, err)
	}
	if _, ok := st.feeds[secret]; ok {
		t.Fatal("the secret itself is stored")
	}
	feed, err := s.Feed(ctx, secret)
	if err != nil {
		t.Fatal(err)
	}
	validICS(t, feed)
	unfolded := strings.ReplaceAll(string(feed), "\r\n ", "")
	// Her own items (2; 4 has no date) and none of Иванов's or Сидоров's.
	for _, want := range []string{"SUMMARY:Срок: п. 2 приказа № 37-о", "DTSTART;VALUE=DATE:20260310"} {
		if !strings.Contains(unfolded, want) {
			t.Errorf("feed lacks %q", want)
		}
	}
	if strings.Contains(unfolded, "п. 3 ") || strings.Contains(unfolded, "п. 5 ") {
		t.Errorf("feed shows others' items:\n%s", unfolded)
	}
	// Петров, named by the control clause, sees every item of the order.
	all, _ := s.PersonItems(ctx, "org", "Петров П.П.")
	if len(all) != 3 {
		t.Errorf("the controller sees %d items, want 3", len(all))
	}
	again, _ := s.FeedSecret(ctx, "org", "Рожкова Т.В.", "rozhkova")
	if _, err := s.Feed(ctx, secret); err != registry.ErrNotFound {
		t.Errorf("old secret after a new one: %v", err)
	}
	if err := s.RevokeFeed(ctx, "org", "Рожкова Т.В."); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Feed(ctx, again); err != registry.ErrNotFound {
		t.Errorf("revoked secret: %v", err)
	}
}
