package printed

import (
	"context"
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/google/uuid"

	"orders/internal/order"
	"orders/internal/registry"
)

type fakeAcks []registry.Ack

func (f fakeAcks) ListAcks(context.Context, string, uuid.UUID) ([]registry.Ack, error) { return f, nil }
func (f fakeAcks) GetOrganization(context.Context, string) (*registry.Organization, error) {
	return nil, registry.ErrNotFound
}

// fakeOrg is an organization with a stored profile and no acknowledgements.
type fakeOrg string

func (fakeOrg) ListAcks(context.Context, string, uuid.UUID) ([]registry.Ack, error) { return nil, nil }
func (fakeOrg) ApprovalRoutes(context.Context, string, uuid.UUID) ([]registry.ApprovalRoute, error) {
	return nil, nil
}
func (f fakeOrg) GetOrganization(_ context.Context, id string) (*registry.Organization, error) {
	return &registry.Organization{ID: id, Profile: []byte(f)}, nil
}
func (fakeOrg) OrganizationFile(context.Context, string, registry.OrgFile) ([]byte, error) {
	return nil, nil
}
func (fakeAcks) OrganizationFile(context.Context, string, registry.OrgFile) ([]byte, error) {
	return nil, registry.ErrNotFound
}

// filesOrg is an organization with an emblem and a letterhead in the registry.
type filesOrg struct {
	fakeOrg
	files map[registry.OrgFile][]byte
}

func (f filesOrg) GetOrganization(_ context.Context, id string) (*registry.Organization, error) {
	return &registry.Organization{ID: id, Profile: []byte(f.fakeOrg),
		HasEmblem: f.files[registry.OrgEmblem] != nil, HasLetterhead: f.files[registry.OrgLetterhead] != nil}, nil
}

func (f filesOrg) OrganizationFile(_ context.Context, _ string, k registry.OrgFile) ([]byte, error) {
	return f.files[k], nil
}

// TestDraftOrgFiles: every state prints the registry's emblem and letterhead of the
// organization, none when it has none or is gone; nothing comes from the draft's JSON.
func TestDraftOrgFiles(t *testing.T) {
	raw, err := os.ReadFile("../../templates/examples/balashikha.json")
	if err != nil {
		t.Fatal(err)
	}
	png, docx := []byte("\x89PNG emblem"), []byte("PK letterhead")
	for _, tc := range []struct {
		name   string
		reg    Acks
		emblem []byte
		docx   []byte
	}{
		{"both", filesOrg{`{"name":"УО"}`, map[registry.OrgFile][]byte{registry.OrgEmblem: png, registry.OrgLetterhead: docx}}, png, docx},
		{"emblem only", filesOrg{`{"name":"УО"}`, map[registry.OrgFile][]byte{registry.OrgEmblem: png}}, png, nil},
		{"none", fakeOrg(`{"name":"УО"}`), nil, nil},
		{"organization gone", fakeAcks{}, nil, nil},
	} {
		for _, st := range []registry.State{registry.StateDraft, registry.StateRegistered, registry.StateCancelled} {
			t.Run(tc.name+"/"+string(st), func(t *testing.T) {
				o := registry.Order{OrgID: "uo", State: st, Draft: raw}
				d, err := Draft(t.Context(), tc.reg, &o, "")
				if err != nil {
					t.Fatal(err)
				}
				if string(d.Emblem) != string(tc.emblem) || string(d.DOCXTemplate) != string(tc.docx) {
					t.Errorf("emblem %q, letterhead %q; want %q, %q", d.Emblem, d.DOCXTemplate, tc.emblem, tc.docx)
				}
			})
		}
	}
}

// TestDraftQR: the QR-code requisite is printed only on a registered order of an
// organization whose stored profile turns it on, whatever the draft's own letterhead says,
// and carries the registry's hash of the registered draft.
func TestDraftQR(t *testing.T) {
	raw, err := os.ReadFile("../../templates/examples/balashikha.json")
	if err != nil {
		t.Fatal(err)
	}
	src, err := order.Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	src.Letterhead.QRCode = true // a draft cannot turn the requisite on for itself
	raw, _ = json.Marshal(src)
	const hash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	for _, tc := range []struct {
		name    string
		state   registry.State
		profile string
		want    bool
	}{
		{"off by default", registry.StateRegistered, `{"name":"УО"}`, false},
		{"turned off", registry.StateRegistered, `{"name":"УО","qr_code":false}`, false},
		{"turned on, registered", registry.StateRegistered, `{"name":"УО","qr_code":true}`, true},
		{"turned on, signed", registry.StateSigned, `{"name":"УО","qr_code":true}`, true},
		{"turned on, cancelled", registry.StateCancelled, `{"name":"УО","qr_code":true}`, true},
		{"turned on, but a draft", registry.StateDraft, `{"name":"УО","qr_code":true}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := registry.Order{OrgID: "uo", State: tc.state, Draft: raw, DraftHash: hash}
			d, err := Draft(t.Context(), fakeOrg(tc.profile), &o, "")
			if err != nil {
				t.Fatal(err)
			}
			if got := d.Verification != nil; got != tc.want {
				t.Fatalf("QR printed %v, want %v", got, tc.want)
			}
			if tc.want && d.Verification.TextSHA256 != hash {
				t.Errorf("QR carries %q, want the registry's DraftHash", d.Verification.TextSHA256)
			}
			if tc.want && d.Verification.URL != "" {
				t.Errorf("without a public address the QR carries the address %q", d.Verification.URL)
			}
			// With the installation's public address the code carries the order's check page.
			o.ID = uuid.MustParse("0193a3b4-0000-7000-8000-000000000001")
			d, err = Draft(t.Context(), fakeOrg(tc.profile), &o, "https://orders.example.ru/")
			if err != nil {
				t.Fatal(err)
			}
			if want := "https://orders.example.ru/check/0193a3b4-0000-7000-8000-000000000001"; tc.want && d.Verification.URL != want {
				t.Errorf("QR address %q, want %q", d.Verification.URL, want)
			}
		})
	}
}

func (f fakeAcks) ApprovalRoutes(context.Context, string, uuid.UUID) ([]registry.ApprovalRoute, error) {
	return nil, nil
}

func TestDraft(t *testing.T) {
	raw, err := os.ReadFile("../../templates/examples/balashikha.json")
	if err != nil {
		t.Fatal(err)
	}
	src, err := order.Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	if src.Number == "" || src.Date == "" || src.Acknowledgement == nil || len(src.Acknowledgement.People) < 2 {
		t.Fatal("the example must carry a number, a date and two people to acknowledge")
	}
	first := src.Acknowledgement.People[0].Name
	// A date typed into the draft for the second person is not a record: never printed.
	src.Acknowledgement.People[1].Date = "2021-09-01"
	raw, err = json.Marshal(src)
	if err != nil {
		t.Fatal(err)
	}
	cancelled := time.Date(2026, 12, 4, 22, 30, 0, 0, time.UTC) // 5 December in Moscow
	acks := fakeAcks{{Person: first, ReadAt: time.Date(2021, 8, 25, 0, 0, 0, 0, time.UTC)}}

	for _, tc := range []struct {
		name       string
		order      registry.Order
		draftMark  bool
		number     string
		dates      []string // acknowledgement dates, in list order
		cancelMark *order.Cancellation
	}{
		{name: "draft prints ПРОЕКТ and blanks, whatever the draft says",
			order: registry.Order{State: registry.StateDraft}, draftMark: true, dates: []string{"", ""}},
		{name: "registered prints its number and the recorded acknowledgements only",
			order: registry.Order{State: registry.StateRegistered}, number: src.Number, dates: []string{"2021-08-25", ""}},
		{name: "signed the same",
			order: registry.Order{State: registry.StateSigned}, number: src.Number, dates: []string{"2021-08-25", ""}},
		{name: "cancelled carries the mark in Moscow's date",
			order:  registry.Order{State: registry.StateCancelled, CancelledAt: &cancelled, CancelReason: "ошибка", CancelledBy: "Зубова А.Н."},
			number: src.Number, dates: []string{"2021-08-25", ""},
			cancelMark: &order.Cancellation{Date: "2026-12-05", Reason: "ошибка", By: "Зубова А.Н."}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := tc.order
			o.Draft = raw
			d, err := Draft(t.Context(), acks, &o, "")
			if err != nil {
				t.Fatal(err)
			}
			if d.IsDraft() != tc.draftMark || d.Number != tc.number {
				t.Errorf("IsDraft %v, number %q", d.IsDraft(), d.Number)
			}
			for i, want := range tc.dates {
				if got := d.Acknowledgement.People[i].Date; got != want {
					t.Errorf("%s read on %q, want %q", d.Acknowledgement.People[i].Name, got, want)
				}
			}
			if (d.Cancelled == nil) != (tc.cancelMark == nil) || (d.Cancelled != nil && *d.Cancelled != *tc.cancelMark) {
				t.Errorf("Cancelled = %+v, want %+v", d.Cancelled, tc.cancelMark)
			}
		})
	}
	if _, err := Draft(t.Context(), acks, &registry.Order{State: registry.StateSigned}, ""); err != ErrNoDraft {
		t.Errorf("an order without a draft: %v", err)
	}
}

type withRoutes struct {
	fakeAcks
	routes []registry.ApprovalRoute
}

func (w withRoutes) ApprovalRoutes(context.Context, string, uuid.UUID) ([]registry.ApprovalRoute, error) {
	return w.routes, nil
}

func TestDraftVisas(t *testing.T) {
	raw, err := os.ReadFile("../../templates/examples/balashikha.json")
	if err != nil {
		t.Fatal(err)
	}
	late := time.Date(2026, 3, 2, 22, 0, 0, 0, time.UTC) // 3 March in Moscow
	store := withRoutes{routes: []registry.ApprovalRoute{
		{Round: 2, Status: registry.RouteApproved, Visas: []registry.Visa{
			{Step: 1, Name: "Петров П.П.", Position: "Заместитель", Decision: registry.DecisionApproved, DecidedAt: &late},
			{Step: 2, Name: "Сидорова С.С.", Position: "Юрисконсульт", Decision: registry.DecisionRemarks, Remark: "Запятая", DecidedAt: &late},
		}},
		{Round: 1, Status: registry.RouteReturned, Visas: []registry.Visa{{Step: 1, Name: "Старый", Decision: registry.DecisionRejected}}},
	}}
	for _, tc := range []struct {
		state registry.State
		want  []order.Visa
	}{
		{registry.StateDraft, nil},
		{registry.StateRegistered, []order.Visa{
			{Position: "Заместитель", Name: "Петров П.П.", Decision: "Согласовано", Date: "2026-03-03"},
			{Position: "Юрисконсульт", Name: "Сидорова С.С.", Decision: "Согласовано с замечаниями", Remark: "Запятая", Date: "2026-03-03"},
		}},
	} {
		d, err := Draft(t.Context(), store, &registry.Order{State: tc.state, Draft: raw}, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Visas) != len(tc.want) {
			t.Fatalf("%s: visas %+v, want %+v", tc.state, d.Visas, tc.want)
		}
		for i := range tc.want {
			if d.Visas[i] != tc.want[i] {
				t.Errorf("%s: visa %d = %+v, want %+v", tc.state, i, d.Visas[i], tc.want[i])
			}
		}
	}
}
