// Package records keeps the office's case files (номенклатура дел): it lists the orders of a
// case by year, makes the inventory of cases (опись дел) handed to the archive as XLSX and
// PDF, and finds the cases whose retention period has ended. It knows nothing of HTTP.
package records

import (
	"context"
	"fmt"
	"strings"
	"time"

	"orders/internal/registry"
	"orders/internal/ru"
)

// Store is what the service needs of the registry.
type Store interface {
	CaseVolumes(ctx context.Context, orgID string) ([]registry.CaseVolume, error)
	GetOrganization(ctx context.Context, id string) (*registry.Organization, error)
}

// Service works on one registry.
type Service struct {
	Store Store
	Now   func() time.Time // nil: time.Now
}

func (s *Service) year() int {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	return now().In(ru.Moscow).Year()
}

// Row is one line of an inventory: a case volume of the year.
type Row struct {
	No        int
	Index     string
	Title     string
	Dates     string // крайние даты: «02.05.2025–30.12.2025»
	Count     int    // documents (orders) in the volume
	Retention string
	Note      string
}

// Inventory is the inventory of an organization's cases of one year (опись дел).
type Inventory struct {
	Organization string
	Year         int
	Rows         []Row
}

// Inventory lists every case volume of year holding orders, permanent cases first, then
// by index (Росархив's rules keep a separate section per retention class; one list with
// the period in its own column serves an office that transfers all at once).
func (s *Service) Inventory(ctx context.Context, orgID string, year int) (*Inventory, error) {
	vols, err := s.Store.CaseVolumes(ctx, orgID)
	if err != nil {
		return nil, err
	}
	inv := &Inventory{Organization: orgID, Year: year}
	if org, err := s.Store.GetOrganization(ctx, orgID); err == nil && org.Name != "" {
		inv.Organization = org.Name
	}
	var perm, temp []registry.CaseVolume
	for _, v := range vols {
		if v.Year != year {
			continue
		}
		if v.Permanent() {
			perm = append(perm, v)
		} else {
			temp = append(temp, v)
		}
	}
	for _, v := range append(perm, temp...) {
		inv.Rows = append(inv.Rows, Row{
			No: len(inv.Rows) + 1, Index: v.Index, Title: v.Title, Dates: dates(v.First, v.Last),
			Count: v.Count, Retention: v.Retention, Note: note(v),
		})
	}
	return inv, nil
}

func dates(first, last string) string {
	f, l := ruDate(first), ruDate(last)
	if f == l {
		return f
	}
	return f + "–" + l
}

func ruDate(iso string) string {
	t, err := time.Parse(time.DateOnly, iso)
	if err != nil {
		return iso
	}
	return t.Format("02.01.2006")
}

func note(v registry.CaseVolume) string {
	if strings.Contains(strings.ToUpper(v.Retention), "ЭПК") {
		return "ЭПК"
	}
	return ""
}

// Expired is a case volume whose retention period has ended.
type Expired struct {
	registry.CaseVolume
	// Review: the period carries «ЭПК», so the expert commission decides whether the
	// volume is destroyed or kept for good; otherwise it may be listed for destruction.
	Review bool
}

// Expired lists the volumes whose period ended before this year: a period counts from 1
// January of the year after the volume's year, so a «5 лет» volume of 2020 may go in 2026.
func (s *Service) Expired(ctx context.Context, orgID string) ([]Expired, error) {
	vols, err := s.Store.CaseVolumes(ctx, orgID)
	if err != nil {
		return nil, err
	}
	this := s.year()
	var out []Expired
	for _, v := range vols {
		if !v.Permanent() && v.ExpiresAfter() < this {
			out = append(out, Expired{v, note(v) == "ЭПК"})
		}
	}
	return out, nil
}

// FileName is the inventory's download name.
func (inv *Inventory) FileName(ext string) string {
	return fmt.Sprintf("Опись дел за %d год.%s", inv.Year, ext)
}

// Headers are the inventory's columns.
var Headers = []string{"№ п/п", "Индекс дела", "Заголовок дела", "Крайние даты", "Количество документов", "Срок хранения", "Примечание"}

func (r Row) cells() []string {
	return []string{fmt.Sprint(r.No), r.Index, r.Title, r.Dates, fmt.Sprint(r.Count), r.Retention, r.Note}
}

// Summary is the closing line of the inventory.
func (inv *Inventory) Summary() string {
	n := len(inv.Rows)
	if n == 0 {
		return "В опись дела не внесены."
	}
	return fmt.Sprintf("В данную опись внесено %d %s с № 1 по № %d.", n, plural(n, "дело", "дела", "дел"), n)
}

// plural picks the Russian form for n: 1 дело, 2 дела, 5 дел, 21 дело, 11 дел.
func plural(n int, one, few, many string) string {
	switch n10, n100 := n%10, n%100; {
	case n10 == 1 && n100 != 11:
		return one
	case n10 >= 2 && n10 <= 4 && (n100 < 12 || n100 > 14):
		return few
	}
	return many
}
