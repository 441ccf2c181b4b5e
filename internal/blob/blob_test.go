package blob

import (
	"errors"
	"io"
	"strings"
	"testing"
)

func TestParseKey(t *testing.T) {
	key, sum := Sum([]byte("abc"))
	const abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
	if sum != abc || key != "sha256/ba/"+abc {
		t.Fatalf("Sum = %q, %q", key, sum)
	}
	tests := []struct {
		key     string
		wantErr bool
	}{
		{key, false},
		{"", true},
		{"sha256/ba/" + abc[:63], true},
		{"sha256/bb/" + abc, true},
		{"sha256/ba/" + strings.ToUpper(abc), true},
		{"sha256/ba\\" + abc, true},
		{"sha256/ba/" + abc[:62] + "zz", true},
		{"sha1/ba/" + abc, true},
	}
	for _, tt := range tests {
		got, err := ParseKey(tt.key)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseKey(%q) err = %v, wantErr %v", tt.key, err, tt.wantErr)
		}
		if err != nil && !errors.Is(err, ErrInvalidKey) {
			t.Errorf("ParseKey(%q) err = %v, not ErrInvalidKey", tt.key, err)
		}
		if err == nil && got != abc {
			t.Errorf("ParseKey(%q) = %q", tt.key, got)
		}
	}
}

func TestVerifyingReader(t *testing.T) {
	_, sum := Sum([]byte("hello"))
	tests := []struct {
		name    string
		content string
		size    int64
		wantErr error
	}{
		{"intact", "hello", 5, nil},
		{"changed", "hellO", 5, ErrCorrupt},
		{"truncated", "hell", 5, ErrCorrupt},
		{"longer", "hello!", 5, ErrCorrupt},
	}
	for _, tt := range tests {
		r := VerifyingReader(io.NopCloser(strings.NewReader(tt.content)), sum, tt.size)
		_, err := io.ReadAll(r)
		if !errors.Is(err, tt.wantErr) && !(tt.wantErr == nil && err == nil) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.wantErr)
		}
		if err := Verify([]byte(tt.content), sum); (err == nil) != (tt.wantErr == nil) {
			t.Errorf("%s: Verify = %v", tt.name, err)
		}
	}
}
