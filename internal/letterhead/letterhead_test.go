package letterhead

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"orders/internal/docxtmpl"
	"orders/templates"
)

// rezip copies the built-in centred letterhead with parts replaced or added.
func rezip(t *testing.T, edit func(name string, data []byte) []byte, add map[string][]byte) []byte {
	t.Helper()
	src, err := templates.Letterhead.ReadFile("letterhead/centered.docx")
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(src), int64(len(src)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	put := func(name string, data []byte) {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = w.Write(data)
	}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(rc)
		rc.Close()
		if edit != nil {
			data = edit(f.Name, data)
		}
		put(f.Name, data)
	}
	for name, data := range add {
		put(name, data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func replaceIn(part, old, new string) func(string, []byte) []byte {
	return func(name string, data []byte) []byte {
		if name == part {
			return bytes.ReplaceAll(data, []byte(old), []byte(new))
		}
		return data
	}
}

func TestCheck(t *testing.T) {
	for _, c := range []struct {
		name, want string
		data       []byte
	}{
		{"built-in letterhead", "", rezip(t, nil, nil)},
		{"empty", "файл пуст", nil},
		{"too big", "допускается не более 2048 КБ", make([]byte, MaxBytes+1)},
		{"not a zip", "не архив zip", []byte("%PDF-1.7 not a docx")},
		{"zip bomb", "распаковывается", rezip(t, nil, map[string][]byte{"word/media/bomb.bin": make([]byte, docxtmpl.MaxPart+1)})},
		{"no body marker", "нужен ровно один абзац {body}", rezip(t, replaceIn("word/document.xml", "{body}", "текст"), nil)},
		{"unknown field", "неизвестные поля {address}", rezip(t, replaceIn("word/document.xml", "{place}", "{address}"), nil)},
		{"reserved picture", "эмблему", rezip(t, nil, map[string][]byte{"word/media/orders-emblem.png": []byte("x")})},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := Check(c.data)
			if c.want == "" {
				if err != nil {
					t.Fatalf("Check = %v; want nil", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Check = %v; want ErrInvalid with %q", err, c.want)
			}
		})
	}
}
