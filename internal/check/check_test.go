package check

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"orders/internal/registry"
)

type fakeStore struct {
	orders map[uuid.UUID]*registry.Order
	public map[uuid.UUID]bool
}

func (f *fakeStore) GetOrder(_ context.Context, org string, id uuid.UUID) (*registry.Order, error) {
	o, ok := f.orders[id]
	if !ok || org != "" && o.OrgID != org {
		return nil, registry.ErrNotFound
	}
	c := *o
	return &c, nil
}

func (f *fakeStore) ListOrders(_ context.Context, fl registry.Filter) ([]registry.Order, string, error) {
	var out []registry.Order
	for _, o := range f.orders {
		if o.OrgID == fl.OrgID && o.Number == fl.Number && o.Date >= fl.DateFrom && o.Date <= fl.DateTo {
			c := *o
			c.SearchText = "" // as list methods do
			out = append(out, c)
		}
	}
	return out, "", nil
}

func (f *fakeStore) GetOrganization(_ context.Context, id string) (*registry.Organization, error) {
	return &registry.Organization{ID: id, Name: "МБУ «ЦИМС»"}, nil
}

func (f *fakeStore) OrderPublic(_ context.Context, id uuid.UUID) (bool, error) {
	return f.public[id], nil
}

func sum(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func TestURL(t *testing.T) {
	id := uuid.MustParse("0193a5b2-7c4d-7e8f-9a0b-1c2d3e4f5a6b")
	for _, base := range []string{"https://prikazy.example.ru", "https://prikazy.example.ru/"} {
		if got := URL(base, id); got != "https://prikazy.example.ru/check/0193a5b2-7c4d-7e8f-9a0b-1c2d3e4f5a6b" {
			t.Errorf("URL(%q) = %q", base, got)
		}
	}
}

func TestCheck(t *testing.T) {
	cancelled := time.Date(2026, 3, 20, 9, 0, 0, 0, time.UTC)
	mk := func(state registry.State, number string) *registry.Order {
		return &registry.Order{ID: uuid.Must(uuid.NewV7()), OrgID: "cims", Kind: "приказ", Title: "О секретном", SearchText: "Текст приказа",
			Number: number, Date: "2026-03-02", State: state, Outputs: registry.Outputs{PDFSHA256: sum("copy " + number)}}
	}
	draft, reg, signed, canc := mk(registry.StateDraft, ""), mk(registry.StateRegistered, "1"), mk(registry.StateSigned, "2"), mk(registry.StateCancelled, "3")
	signed.SignedSHA256 = sum("signed 2")
	canc.SignedSHA256, canc.CancelledAt, canc.CancelReason = sum("signed 3"), &cancelled, "отменён приказом № 9 от 20.03.2026"
	st := &fakeStore{orders: map[uuid.UUID]*registry.Order{}, public: map[uuid.UUID]bool{canc.ID: true}}
	for _, o := range []*registry.Order{draft, reg, signed, canc} {
		st.orders[o.ID] = o
	}
	s := &Service{Store: st}
	ctx := t.Context()

	for _, c := range []struct {
		name  string
		id    uuid.UUID
		state string
		hash  string
		text  bool
	}{
		{"registered", reg.ID, Unsigned, "", false},
		{"signed", signed.ID, InForce, signed.SignedSHA256, false},
		{"cancelled and public", canc.ID, Cancelled, canc.SignedSHA256, true},
	} {
		r, err := s.ByID(ctx, c.id)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if r.State != c.state || r.SignedSHA256 != c.hash || r.Organization != "МБУ «ЦИМС»" || r.Public != c.text ||
			(r.Text != "") != c.text || (r.Title != "") != c.text {
			t.Errorf("%s: %+v", c.name, r)
		}
	}
	if r, _ := s.ByID(ctx, canc.ID); !r.Cancelled || r.CancelReason == "" || r.CancelledAt == nil {
		t.Errorf("cancelled: %+v", r)
	}
	for name, id := range map[string]uuid.UUID{"draft": draft.ID, "unknown": uuid.Must(uuid.NewV7())} {
		if _, err := s.ByID(ctx, id); !errors.Is(err, ErrNotFound) {
			t.Errorf("%s: %v, want ErrNotFound", name, err)
		}
	}
	// By number, date and organization; the full order is read, so a public text is shown.
	r, err := s.ByNumber(ctx, "cims", " 3 ", "2026-03-02")
	if err != nil || r.ID != canc.ID || r.Text != "Текст приказа" {
		t.Fatalf("ByNumber: %+v, %v", r, err)
	}
	for _, q := range [][3]string{{"cims", "3", "2026-03-03"}, {"other", "3", "2026-03-02"}, {"cims", "", "2026-03-02"}} {
		if _, err := s.ByNumber(ctx, q[0], q[1], q[2]); !errors.Is(err, ErrNotFound) {
			t.Errorf("ByNumber%q: %v", q, err)
		}
	}

	for _, c := range []struct{ file, match string }{{"signed 2", "signed"}, {"copy 2", "copy"}, {"something else", ""}} {
		_, cmp, err := s.Compare(ctx, signed.ID, strings.NewReader(c.file))
		if err != nil || cmp.Match != c.match || cmp.SHA256 != sum(c.file) {
			t.Errorf("Compare(%q) = %+v, %v; want %q", c.file, cmp, err, c.match)
		}
	}
	if _, _, err := s.Compare(ctx, draft.ID, strings.NewReader("x")); !errors.Is(err, ErrNotFound) {
		t.Errorf("compare with a draft: %v", err)
	}
}

func TestLimiter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := &Limiter{Rate: 6, Burst: 3, Now: func() time.Time { return now }}
	for i := range 3 {
		if ok, _ := l.Allow("a"); !ok {
			t.Fatalf("request %d refused within the burst", i+1)
		}
	}
	ok, wait := l.Allow("a")
	if ok || wait != 10*time.Second {
		t.Fatalf("4th request: ok=%v wait=%v, want refused for 10s", ok, wait)
	}
	if ok, _ := l.Allow("b"); !ok {
		t.Fatal("another address is limited too")
	}
	now = now.Add(10 * time.Second)
	if ok, _ := l.Allow("a"); !ok {
		t.Fatal("refused after the wait")
	}
	if ok, _ := l.Allow("a"); ok {
		t.Fatal("a second token out of one refill")
	}
}

func TestAddr(t *testing.T) {
	for in, want := range map[string]string{
		"192.0.2.7:5123":             "192.0.2.7",
		"[::ffff:192.0.2.7]:80":      "192.0.2.7",
		"[2001:db8:1:2:aaaa::1]:443": "2001:db8:1:2::/64",
		"[2001:db8:1:2:bbbb::9]:443": "2001:db8:1:2::/64",
		"[2001:db8:1:3::1]:443":      "2001:db8:1:3::/64",
		"pipe":                       "pipe",
	} {
		if got := Addr(in); got != want {
			t.Errorf("Addr(%q) = %q, want %q", in, got, want)
		}
	}
}
