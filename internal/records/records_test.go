package records

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"orders/internal/registry"
)

var update = flag.Bool("update", false, "rewrite golden files")

type fakeStore struct{ vols []registry.CaseVolume }

func (f fakeStore) CaseVolumes(context.Context, string) ([]registry.CaseVolume, error) {
	return f.vols, nil
}

func (f fakeStore) GetOrganization(context.Context, string) (*registry.Organization, error) {
	return &registry.Organization{Name: "Управление образования Администрации Городского округа Балашиха"}, nil
}

func vol(idx, title, retention string, years, year, n int, first, last string) registry.CaseVolume {
	return registry.CaseVolume{Case: registry.Case{Index: idx, Title: title, Retention: retention, RetentionYears: years},
		Year: year, Count: n, First: first, Last: last}
}

func service() *Service {
	return &Service{Store: fakeStore{[]registry.CaseVolume{
		vol("01-05", "Приказы по основной деятельности", "постоянно", 0, 2025, 132, "2025-01-09", "2025-12-29"),
		vol("01-07", "Приказы по личному составу (о приёме, переводе, увольнении)", "75 лет ЭПК", 75, 2025, 41, "2025-02-03", "2025-12-26"),
		vol("01-09", "Приказы о командировках и отпусках", "5 лет", 5, 2020, 12, "2020-03-02", "2020-11-30"),
		vol("01-09", "Приказы о командировках и отпусках", "5 лет", 5, 2021, 1, "2021-06-01", "2021-06-01"),
		vol("01-10", "Приказы об административно-хозяйственной деятельности", "5 лет ЭПК", 5, 2019, 3, "2019-01-10", "2019-10-10"),
	}}, Now: func() time.Time { return time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC) }}
}

func TestInventory(t *testing.T) {
	inv, err := service().Inventory(t.Context(), "balashikha", 2025)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range inv.Rows {
		got = append(got, strings.Join(r.cells(), " | "))
	}
	want := []string{
		"1 | 01-05 | Приказы по основной деятельности | 09.01.2025–29.12.2025 | 132 | постоянно | ",
		"2 | 01-07 | Приказы по личному составу (о приёме, переводе, увольнении) | 03.02.2025–26.12.2025 | 41 | 75 лет ЭПК | ЭПК",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if s := inv.Summary(); s != "В данную опись внесено 2 дела с № 1 по № 2." {
		t.Errorf("summary %q", s)
	}
	for n, want := range map[int]string{1: "дело", 3: "дела", 5: "дел", 11: "дел", 21: "дело", 112: "дел", 122: "дела"} {
		if got := plural(n, "дело", "дела", "дел"); got != want {
			t.Errorf("plural(%d) = %s, want %s", n, got, want)
		}
	}
}

func TestExpired(t *testing.T) {
	list, err := service().Expired(t.Context(), "balashikha")
	if err != nil {
		t.Fatal(err)
	}
	// In 2026: «5 лет» of 2020 ends 31.12.2025 (gone), of 2021 on 31.12.2026 (kept);
	// «5 лет ЭПК» of 2019 ended and needs the commission.
	var got []string
	for _, e := range list {
		got = append(got, fmt.Sprintf("%s/%d/%v", e.Index, e.Year, e.Review))
	}
	if strings.Join(got, ",") != "01-09/2020/false,01-10/2019/true" {
		t.Errorf("Expired = %q", got)
	}
}

func TestInventoryXLSX(t *testing.T) {
	inv, _ := service().Inventory(t.Context(), "balashikha", 2025)
	data, err := inv.XLSX()
	if err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := f.GetRows("Опись")
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	for _, r := range rows {
		text.WriteString(strings.Join(r, "\t") + "\n")
	}
	golden(t, "inventory.xlsx.txt", []byte(text.String()))
}

func TestInventoryPDF(t *testing.T) {
	inv, _ := service().Inventory(t.Context(), "balashikha", 2025)
	data, err := inv.PDF()
	if err != nil {
		t.Fatal(err)
	}
	pdftotext, err := exec.LookPath("pdftotext")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("pdftotext is required in CI")
		}
		t.Skip("no pdftotext")
	}
	path := filepath.Join(t.TempDir(), "inv.pdf")
	os.WriteFile(path, data, 0o644)
	out, err := exec.Command(pdftotext, "-layout", path, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(strings.Fields(string(out)), " ")
	for _, want := range []string{"ОПИСЬ дел за 2025 год", "Управление образования", "Индекс дела", "01-05", "Приказы по основной деятельности",
		"09.01.2025–29.12.2025", "75 лет ЭПК", "В данную опись внесено 2 дела с № 1 по № 2."} {
		if !strings.Contains(text, want) {
			t.Errorf("the PDF lacks %q:\n%s", want, out)
		}
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		os.WriteFile(path, got, 0o644)
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (go test -update):\n%s", name, got)
	}
}
