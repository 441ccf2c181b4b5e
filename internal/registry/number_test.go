package registry

import (
	"errors"
	"testing"
)

func TestFormatNumber(t *testing.T) {
	for _, c := range []struct {
		format string
		seq    int
		want   string
	}{
		{"{seq}", 1, "1"},
		{"{seq}-о", 37, "37-о"},
		{"{seq:03}-к", 7, "007-к"},
		{"{seq:03}-к", 1355, "1355-к"},
		{"{seq:01}", 5, "5"},
		{"Р-{seq}", 12, "Р-12"},
		{"{seq}-лс", 2000, "2000-лс"},
		{"№ {seq:09}", 1, "№ 000000001"},
	} {
		got, err := FormatNumber(c.format, c.seq)
		if err != nil || got != c.want {
			t.Errorf("FormatNumber(%q, %d) = %q, %v; want %q", c.format, c.seq, got, err, c.want)
		}
		if err := ValidateNumberFormat(c.format); err != nil {
			t.Errorf("ValidateNumberFormat(%q) = %v", c.format, err)
		}
	}
	for _, bad := range []string{
		"", "37-о", "{seq}{seq}", "{seq}-{year}", "{seq:3}", "{seq:00}", "{seq:10}", "{seq:0a}", "{Seq}",
		"{seq", "seq}", "{seq}}", "{{seq}", "{seq}\t", "\x00{seq}", "{seq}\xff", "{ seq }",
		"{seq}" + string(make([]byte, 60)),
	} {
		if _, err := FormatNumber(bad, 1); !errors.Is(err, ErrInvalid) {
			t.Errorf("FormatNumber(%q) error = %v, want ErrInvalid", bad, err)
		}
	}
	for _, seq := range []int{0, -1} {
		if _, err := FormatNumber("{seq}", seq); !errors.Is(err, ErrInvalid) {
			t.Errorf("FormatNumber(seq %d) error = %v, want ErrInvalid", seq, err)
		}
	}
}
