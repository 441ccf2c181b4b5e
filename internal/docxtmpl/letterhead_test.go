package docxtmpl

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"orders/templates"
)

// rezipLetterhead copies the built-in centred letterhead with parts replaced or added.
func rezipLetterhead(t *testing.T, edit func(name string, data []byte) []byte, add map[string][]byte) []byte {
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

func TestCheckLetterhead(t *testing.T) {
	for _, c := range []struct {
		name, want string
		data       []byte
	}{
		{"built-in letterhead", "", rezipLetterhead(t, nil, nil)},
		{"empty", "файл пуст", nil},
		{"too big", "допускается не более 2048 КБ", make([]byte, MaxLetterhead+1)},
		{"not a zip", "не архив zip", []byte("%PDF-1.7 not a docx")},
		{"zip bomb", "распаковывается", rezipLetterhead(t, nil, map[string][]byte{"word/media/bomb.bin": make([]byte, MaxPart+1)})},
		{"no body marker", "нужен ровно один абзац {body}", rezipLetterhead(t, replaceIn("word/document.xml", "{body}", "текст"), nil)},
		{"unknown field", "неизвестные поля {address}", rezipLetterhead(t, replaceIn("word/document.xml", "{place}", "{address}"), nil)},
		{"reserved picture", "эмблему", rezipLetterhead(t, nil, map[string][]byte{"word/media/orders-emblem.png": []byte("x")})},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := CheckLetterhead(c.data)
			if c.want == "" {
				if err != nil {
					t.Fatalf("CheckLetterhead = %v; want nil", err)
				}
				return
			}
			if !errors.Is(err, ErrLetterhead) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("CheckLetterhead = %v; want ErrLetterhead with %q", err, c.want)
			}
		})
	}
}
