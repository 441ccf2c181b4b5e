package docx

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"orders/internal/layout"
	"orders/internal/order"
	"orders/templates"
)

// A case is a draft as the tests render it.
type testCase struct {
	name string
	file string
	edit func(*order.Draft)
}

// cases are every example draft (templates/examples/*.json, so a new example is validated
// and checked as soon as it is added) and the test drafts of testdata.
var cases = append(exampleCases(), []testCase{
	{name: "rich", file: "testdata/rich.json"},
	{name: "structures", file: "testdata/structures.json"},
	{name: "rich-draft-corner", file: "testdata/rich.json", edit: func(d *order.Draft) {
		d.Letterhead.Layout = "corner"
		d.Number, d.Date = "", ""
		d.Acknowledgement.Style = "sheet"
		d.Place = ""
	}},
	// The QR code anchored on page 1 and the executor mark framed at the page foot.
	{name: "rich-qr", file: "testdata/rich.json", edit: func(d *order.Draft) {
		d.Verification = &order.Verification{TextSHA256: strings.Repeat("ab", 32)}
		d.Executor = &order.Executor{Name: "Иванова И.П.", Phone: "8 (495) 521-95-16"}
	}},
	// The emblem above the letterhead, beside the QR code (both pictures in one package).
	{name: "rich-emblem", file: "testdata/rich.json", edit: func(d *order.Draft) {
		d.Emblem = testEmblem()
		d.Verification = &order.Verification{TextSHA256: strings.Repeat("ab", 32)}
	}},
	{name: "rich-emblem-corner", file: "testdata/rich.json", edit: func(d *order.Draft) {
		d.Letterhead.Layout = "corner"
		d.Emblem = testEmblem()
	}},
}...)

func exampleCases() []testCase {
	files, err := filepath.Glob("../../../templates/examples/*.json")
	if err != nil || len(files) < 2 {
		panic(fmt.Sprintf("examples: %v %v", files, err))
	}
	var cs []testCase
	for _, f := range files {
		cs = append(cs, testCase{name: strings.TrimSuffix(filepath.Base(f), ".json"), file: f})
	}
	return cs
}

func caseByName(t testing.TB, name string) testCase {
	for _, c := range cases {
		if c.name == name {
			return c
		}
	}
	t.Fatalf("no case %s", name)
	return testCase{}
}

func (c testCase) layout(t testing.TB) *layout.Doc {
	t.Helper()
	b, err := os.ReadFile(c.file)
	if err != nil {
		t.Fatal(err)
	}
	d, err := order.Decode(b)
	if err != nil {
		t.Fatalf("%s: %v", c.file, err)
	}
	if c.edit != nil {
		c.edit(d)
	}
	doc, err := layout.Build(d, layout.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func (c testCase) render(t testing.TB) []byte {
	t.Helper()
	out, err := Render(c.layout(t), Options{})
	if err != nil {
		t.Fatalf("%s: %v", c.name, err)
	}
	return out
}

// unzip returns the entries of a package in order and by name.
func unzip(t testing.TB, b []byte) ([]string, map[string][]byte) {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	parts := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		names = append(names, f.Name)
		parts[f.Name] = data
	}
	return names, parts
}

// rezip rewrites a package, editing the parts that edit returns a new value for.
func rezip(t testing.TB, b []byte, edit func(name string, data []byte) []byte) []byte {
	t.Helper()
	names, parts := unzip(t, b)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, n := range names {
		data := parts[n]
		if e := edit(n, data); e != nil {
			data = e
		}
		w, err := zw.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// editDocument returns a copy of a template with word/document.xml changed by f.
func editDocument(t testing.TB, tmpl []byte, f func(string) string) []byte {
	return rezip(t, tmpl, func(name string, data []byte) []byte {
		if name == "word/document.xml" {
			return []byte(f(string(data)))
		}
		return nil
	})
}

// text is what Word shows of a part: <w:t> text, tabs, breaks, one line per paragraph.
func text(t testing.TB, data []byte) string {
	t.Helper()
	var sb strings.Builder
	dec := xml.NewDecoder(bytes.NewReader(data))
	inT := false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		switch e := tok.(type) {
		case xml.StartElement:
			if e.Name.Space != nsW {
				continue
			}
			switch e.Name.Local {
			case "t":
				inT = true
			case "tab":
				// A tab stop in <w:tabs> has a position; a tab character has none.
				if attrStr(e, "pos") == "" {
					sb.WriteByte('\t')
				}
			case "br":
				sb.WriteByte('\n')
			}
		case xml.EndElement:
			if e.Name.Space == nsW && e.Name.Local == "t" {
				inT = false
			}
			if e.Name.Space == nsW && e.Name.Local == "p" {
				sb.WriteByte('\n')
			}
		case xml.CharData:
			if inT {
				sb.Write(e)
			}
		}
	}
	return sb.String()
}

func writeTemp(t testing.TB, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

type orderDraft = order.Draft

func decodeDraft(b []byte) (*order.Draft, error) { return order.Decode(b) }

func newZip(w io.Writer) *zip.Writer { return zip.NewWriter(w) }

func builtinTemplate(name string) ([]byte, error) { return templates.Letterhead.ReadFile(name) }
