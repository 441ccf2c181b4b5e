package docx

import (
	"bytes"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"orders/internal/layout"
	"orders/internal/render/docx/internal/gen"
	"orders/templates"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func TestPartsWellFormed(t *testing.T) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			names, parts := unzip(t, c.render(t))
			if names[0] != "[Content_Types].xml" {
				t.Errorf("first entry %s, want [Content_Types].xml", names[0])
			}
			for _, n := range names {
				if strings.HasPrefix(n, "word/media/") {
					continue // pictures
				}
				dec := xml.NewDecoder(bytes.NewReader(parts[n]))
				for {
					_, err := dec.Token()
					if err == io.EOF {
						break
					}
					if err != nil {
						t.Fatalf("%s: %v", n, err)
					}
				}
			}
			for _, want := range []string{"word/numbering.xml", "docProps/core.xml", "word/header1.xml", "word/styles.xml"} {
				if parts[want] == nil {
					t.Errorf("no %s", want)
				}
			}
			if !bytes.Contains(parts["word/_rels/document.xml.rels"], []byte(relNumbering)) {
				t.Error("document.xml.rels has no numbering relationship")
			}
			if !bytes.Contains(parts["[Content_Types].xml"], []byte(`PartName="/word/numbering.xml"`)) {
				t.Error("[Content_Types].xml has no override for numbering.xml")
			}
		})
	}
}

func TestText(t *testing.T) {
	nb := "\u00a0"
	tests := []struct {
		name     string
		want     []string
		dontWant []string
	}{
		{"balashikha", []string{
			"Администрация Городского округа Балашиха\n", "УПРАВЛЕНИЕ ПО ОБРАЗОВАНИЮ\n",
			"143900 Московская обл., г. Балашиха, ул. Советская, д. 4", "тел./факс: 8 (495) 521-95-16",
			"ПРИКАЗ\n", "22.09.2022\t№" + nb + "1355\n",
			"Об организации работы стажировочных площадок",
			"П Р И К А З Ы В А Ю:\n",
			"Начальник\nУправления по образованию\tА.Н." + nb + "Зубова\n",
			"С приказом ознакомлены:\n",
		}, []string{"ПРОЕКТ", "{", "}"}},
		{"chebula", []string{
			"КЕМЕРОВСКАЯ ОБЛАСТЬ\n", "МБУ «ЦЕНТР ИНФОРМАЦИОННО-МЕТОДИЧЕСКОГО СОПРОВОЖДЕНИЯ»\n",
			"24.08.2021\t№" + nb + "37-о\n", "пгт. Верх-Чебула\n",
			"Приложение 1\nк приказу МБУ «ЦИМС»\nот 24.08.2021 №" + nb + "37-о\n",
			"Положение\nо муниципальной стажировочной площадке\n",
			"№\nОбразовательное учреждение\nТема\nСроки проведения\n1\nМБОУ «Усть-Чебулинская ООШ»\n",
		}, []string{"ПРОЕКТ", "{"}},
		{"rich", []string{
			"Министерство образования Московской области\nАдминистрация Городского округа Балашиха\n",
			"МБУ «ЦЕНТР <ОЦЕНКИ> & КАЧЕСТВА»\n",
			"e-mail: blsh_obraz@mosreg.ru, http://obrazovanie-balashiha.edumsko.ru/?a=1&b=2\n",
			"22" + nb + "сентября" + nb + "2022" + nb + "г.\t№" + nb + "1355-о\n",
			"a < b && c > d, 'апостроф', «кавычки».",
			"Строка, похожая на XML: <w:p><w:r><w:t>взлом</w:t></w:r></w:p> и ]]> и {kind} и {body}.",
			"Исп. Иванова" + nb + "М.П.\nтел. 8 (495) 521-00-00\n",
			"УТВЕРЖДЕНО\n",
		}, []string{"ПРОЕКТ"}},
		{"rich-draft-corner", []string{
			"ПРОЕКТ\n", layout.BlankDateCorner + "\t№" + nb + layout.BlankNumber + "\n",
			"ЛИСТ ОЗНАКОМЛЕНИЯ\n",
		}, []string{"г. Балашиха\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, parts := unzip(t, caseByName(t, tt.name).render(t))
			got := text(t, parts["word/document.xml"])
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("text lacks %q", w)
				}
			}
			for _, w := range tt.dontWant {
				if strings.Contains(got, w) && !(w == "{" && strings.Contains(got, "{kind}")) {
					t.Errorf("text has %q", w)
				}
			}
			if t.Failed() {
				t.Logf("text:\n%s", got)
			}
		})
	}
}

// User strings are escaped exactly once: what looks like XML stays text.
func TestEscaping(t *testing.T) {
	_, parts := unzip(t, caseByName(t, "rich").render(t))
	doc := parts["word/document.xml"]
	for _, raw := range []string{"<w:t>взлом", "<ОЦЕНКИ>", "a < b", "&&", "?a=1&b=2", "]]> и"} {
		if bytes.Contains(doc, []byte(raw)) {
			t.Errorf("document.xml contains %q unescaped", raw)
		}
	}
	for _, esc := range []string{"&lt;w:t&gt;взлом", "&lt;ОЦЕНКИ&gt; &amp; КАЧЕСТВА", "a &lt; b &amp;&amp; c &gt; d", "?a=1&amp;b=2"} {
		if !bytes.Contains(doc, []byte(esc)) {
			t.Errorf("document.xml lacks %q", esc)
		}
	}
	if bytes.Contains(doc, []byte("&#160;")) || bytes.Contains(doc, []byte("&nbsp;")) {
		t.Error("NBSP written as a reference; keep the character U+00A0")
	}
	if !bytes.Contains(doc, []byte("А.Н.\u00a0Зубова")) {
		t.Error("NBSP between initials and surname lost")
	}
	core := string(parts["docProps/core.xml"])
	if !strings.Contains(core, "&lt;и&gt; проверке экранирования &amp; кавычек") {
		t.Errorf("core.xml title not escaped: %s", core)
	}
}

func TestAppendTextDropsInvalidXML(t *testing.T) {
	got := string(appendText(nil, "a\x00b\x1fc\rd\ufffee\xff<\n\t"))
	want := "abcde&lt;" + brInRun + tabInRun
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// Optional fields that are empty leave no paragraph behind, in both templates; only the
// corner's second cell keeps the empty paragraph of the draft mark, which a cell must have
// and which stands beside the block, taking no line of its own.
func TestEmptyOptionalFields(t *testing.T) {
	for _, corner := range []bool{false, true} {
		doc := caseByName(t, "balashikha").layout(t)
		doc.Head.Corner = corner
		doc.Head.Parents, doc.Head.Contacts, doc.Head.Subordinate, doc.Head.Place, doc.Head.DraftMark = nil, nil, "", "", ""
		out, err := Render(doc, Options{})
		if err != nil {
			t.Fatal(err)
		}
		_, parts := unzip(t, out)
		got := text(t, parts["word/document.xml"])
		head, _, _ := strings.Cut(got, "Об организации")
		want := "УПРАВЛЕНИЕ ПО ОБРАЗОВАНИЮ\nПРИКАЗ\n22.09.2022\t№\u00a01355\n"
		if corner {
			want += "\n"
		}
		if head != want {
			t.Errorf("corner=%v: head is %q, want %q", corner, head, want)
		}
	}
}

// Children of properties must follow the schema order, or Word calls the file corrupt.
var schemaOrder = map[string][]string{
	"pPr": {"pStyle", "keepNext", "keepLines", "pageBreakBefore", "framePr", "widowControl", "numPr",
		"suppressLineNumbers", "pBdr", "shd", "tabs", "suppressAutoHyphens", "kinsoku", "wordWrap",
		"overflowPunct", "topLinePunct", "autoSpaceDE", "autoSpaceDN", "bidi", "adjustRightInd",
		"snapToGrid", "spacing", "ind", "contextualSpacing", "mirrorIndents", "suppressOverlap", "jc",
		"textDirection", "textAlignment", "textboxTightWrap", "outlineLvl", "divId", "cnfStyle", "rPr",
		"sectPr", "pPrChange"},
	"rPr": {"rStyle", "rFonts", "b", "bCs", "i", "iCs", "caps", "smallCaps", "strike", "dstrike",
		"outline", "shadow", "emboss", "imprint", "noProof", "snapToGrid", "vanish", "webHidden", "color",
		"spacing", "w", "kern", "position", "sz", "szCs", "highlight", "u", "effect", "bdr", "shd",
		"fitText", "vertAlign", "rtl", "cs", "em", "lang", "eastAsianLayout", "specVanish", "oMath"},
	"lvl":         {"start", "numFmt", "lvlRestart", "pStyle", "isLgl", "suff", "lvlText", "lvlPicBulletId", "legacy", "lvlJc", "pPr", "rPr"},
	"abstractNum": {"nsid", "multiLevelType", "tmpl", "name", "styleLink", "numStyleLink", "lvl"},
	"num":         {"abstractNumId", "lvlOverride"},
	"lvlOverride": {"startOverride", "lvl"},
	"numbering":   {"numPicBullet", "abstractNum", "num", "numIdMacAtCleanup"},
	"tblPr": {"tblStyle", "tblpPr", "tblOverlap", "bidiVisual", "tblStyleRowBandSize", "tblStyleColBandSize",
		"tblW", "jc", "tblCellSpacing", "tblInd", "tblBorders", "shd", "tblLayout", "tblCellMar", "tblLook"},
	"tblBorders": {"top", "left|start", "bottom", "right|end", "insideH", "insideV"},
	"tblCellMar": {"top", "left|start", "bottom", "right|end"},
	"tcPr":       {"cnfStyle", "tcW", "gridSpan", "hMerge", "vMerge", "tcBorders", "shd", "noWrap", "tcMar", "textDirection", "tcFitText", "vAlign", "hideMark"},
	"tbl":        {"tblPr", "tblGrid", "tr"},
	"tr":         {"tblPrEx", "trPr", "tc"},
	"sectPr": {"headerReference|footerReference", "footnotePr", "endnotePr", "type", "pgSz", "pgMar", "paperSrc",
		"pgBorders", "lnNumType", "pgNumType", "cols", "formProt", "vAlign", "noEndnote", "titlePg",
		"textDirection", "bidi", "rtlGutter", "docGrid", "printerSettings", "sectPrChange"},
}

func checkSchemaOrder(t *testing.T, name string, data []byte) {
	t.Helper()
	rank := map[string]map[string]int{}
	for parent, kids := range schemaOrder {
		rank[parent] = map[string]int{}
		for i, k := range kids {
			for _, alt := range strings.Split(k, "|") {
				rank[parent][alt] = i
			}
		}
	}
	type open struct {
		name string
		last int
	}
	var stack []*open
	dec := xml.NewDecoder(bytes.NewReader(data))
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		switch e := tok.(type) {
		case xml.StartElement:
			if len(stack) > 0 && e.Name.Space == nsW {
				p := stack[len(stack)-1]
				if r, ok := rank[p.name]; ok {
					k, known := r[e.Name.Local]
					switch {
					case !known:
						t.Errorf("%s: <w:%s> has unexpected child <w:%s>", name, p.name, e.Name.Local)
					case k < p.last:
						t.Errorf("%s: <w:%s> out of schema order inside <w:%s>", name, e.Name.Local, p.name)
					default:
						p.last = k
					}
				}
			}
			stack = append(stack, &open{name: e.Name.Local})
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		}
	}
}

func TestSchemaOrder(t *testing.T) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, parts := unzip(t, c.render(t))
			for _, n := range []string{"word/document.xml", "word/numbering.xml", "word/styles.xml", "word/header1.xml", "word/header2.xml", "word/settings.xml"} {
				checkSchemaOrder(t, n, parts[n])
			}
		})
	}
}

var (
	numPrRe  = regexp.MustCompile(`<w:ilvl w:val="(\d+)"/><w:numId w:val="(\d+)"/>`)
	lvlTexts = regexp.MustCompile(`<w:lvlText w:val="([^"]*)"/>`)
)

// Lists are Word numbering: the clause definition has «%1.» «%1.%2.» …, every list restarts,
// and paragraphs of different lists use different instances.
func TestNumbering(t *testing.T) {
	doc := caseByName(t, "rich").layout(t)
	_, parts := unzip(t, mustRender(t, doc, Options{}))
	num := string(parts["word/numbering.xml"])
	texts := lvlTexts.FindAllStringSubmatch(num, -1)
	for i, want := range []string{"%1.", "%1.%2.", "%1.%2.%3.", "%1.%2.%3.%4."} {
		if texts[i][1] != want {
			t.Errorf("level %d: lvlText %q, want %q", i, texts[i][1], want)
		}
	}
	if !strings.Contains(num, `<w:numFmt w:val="bullet"/><w:suff w:val="space"/><w:lvlText w:val="–"/>`) {
		t.Error("no dash list definition")
	}
	if !strings.Contains(num, `<w:suff w:val="space"/>`) || !strings.Contains(num, `<w:ind w:left="0" w:firstLine="709"/>`) {
		t.Error("levels must be followed by a space and start at the 1.25 cm indent")
	}
	if strings.Index(num, "<w:num ") < strings.LastIndex(num, "<w:abstractNum ") {
		t.Error("a w:num precedes a w:abstractNum")
	}

	// Map layout lists to Word instances through the paragraphs that carry them.
	d := string(parts["word/document.xml"])
	ps := numPrRe.FindAllStringSubmatch(d, -1)
	var numbered []layout.Block
	for _, b := range doc.Body {
		if b.List != nil {
			numbered = append(numbered, b)
		}
	}
	if len(ps) != len(numbered) {
		t.Fatalf("%d numbered paragraphs in document.xml, %d in the layout", len(ps), len(numbered))
	}
	instance := map[string]string{} // layout list → numId
	for i, b := range numbered {
		key := fmt.Sprint(b.List.ID, b.List.Format.Name)
		if prev, ok := instance[key]; ok && prev != ps[i][2] {
			t.Errorf("list %s uses numId %s and %s", key, prev, ps[i][2])
		}
		instance[key] = ps[i][2]
		if b.List.Format == layout.FormatClause && ps[i][1] != fmt.Sprint(b.List.Level) {
			t.Errorf("%q: ilvl %s, want %d", b.Label, ps[i][1], b.List.Level)
		}
	}
	seen := map[string]string{}
	for key, id := range instance {
		if other, ok := seen[id]; ok && strings.HasSuffix(key, "clause") && strings.HasSuffix(other, "clause") {
			t.Errorf("lists %s and %s share numId %s", key, other, id)
		}
		seen[id] = key
		if strings.HasSuffix(key, "clause") && !strings.Contains(num, `<w:num w:numId="`+id+`"><w:abstractNumId w:val="1"/><w:lvlOverride w:ilvl="0"><w:startOverride w:val="1"/>`) {
			t.Errorf("numId %s does not restart", id)
		}
	}
	if len(instance) < 3 {
		t.Errorf("want the operative part, an appendix and dashes as separate lists, got %v", instance)
	}
}

var (
	abstractRe = regexp.MustCompile(`<w:abstractNum w:abstractNumId="(\d+)">(.*?)</w:abstractNum>`)
	lvlRe      = regexp.MustCompile(`<w:lvl w:ilvl="(\d+)"><w:start w:val="1"/><w:numFmt w:val="([a-zA-Z]+)"/><w:suff w:val="space"/><w:lvlText w:val="([^"]*)"/>`)
	numRe      = regexp.MustCompile(`<w:num w:numId="(\d+)"><w:abstractNumId w:val="(\d+)"/>(.*?)</w:num>`)
)

// TestNumberingFromLayout: the numbering definitions are generated from the formats the
// layout used, level by level («%1)» decimal, «%1)» russianLower, the dash), and each «1)»
// or «а)» list of a clause is a Word list of its own that starts at 1.
func TestNumberingFromLayout(t *testing.T) {
	doc := caseByName(t, "structures").layout(t)
	_, parts := unzip(t, mustRender(t, doc, Options{}))
	num := string(parts["word/numbering.xml"])
	abstract := map[string]*layout.NumFormat{} // abstractNumId → the format it was made from
	for _, m := range abstractRe.FindAllStringSubmatch(num, -1) {
		lvls := lvlRe.FindAllStringSubmatch(m[2], -1)
		var f *layout.NumFormat
		for _, cand := range []*layout.NumFormat{layout.FormatClause, layout.FormatParen, layout.FormatLetter, layout.FormatDash} {
			if len(lvls) == len(cand.Levels) && lvls[0][3] == cand.Levels[0].Text && lvls[0][2] == numFmt(cand.Levels[0].Style) {
				f = cand
			}
		}
		if f == nil {
			t.Fatalf("abstractNum %s matches no layout format: %s", m[1], m[2])
		}
		for i, l := range lvls {
			if l[3] != f.Levels[i].Text || l[2] != numFmt(f.Levels[i].Style) {
				t.Errorf("%s level %d: %s %q, want %s %q", f.Name, i, l[2], l[3], numFmt(f.Levels[i].Style), f.Levels[i].Text)
			}
		}
		abstract[m[1]] = f
	}
	for _, want := range []string{`<w:numFmt w:val="russianLower"/><w:suff w:val="space"/><w:lvlText w:val="%1)"/>`,
		`<w:numFmt w:val="decimal"/><w:suff w:val="space"/><w:lvlText w:val="%1)"/>`,
		`<w:numFmt w:val="bullet"/><w:suff w:val="space"/><w:lvlText w:val="–"/>`,
		`<w:numFmt w:val="decimal"/><w:suff w:val="space"/><w:lvlText w:val="%1.%2."/>`} {
		if !strings.Contains(num, want) {
			t.Errorf("numbering.xml lacks %s", want)
		}
	}
	nums := map[string]string{} // numId → abstractNumId
	restarts := map[string]bool{}
	for _, m := range numRe.FindAllStringSubmatch(num, -1) {
		nums[m[1]] = m[2]
		restarts[m[1]] = strings.Contains(m[3], `<w:lvlOverride w:ilvl="0"><w:startOverride w:val="1"/>`)
	}
	ps := numPrRe.FindAllStringSubmatch(string(parts["word/document.xml"]), -1)
	var numbered []layout.Block
	for _, b := range doc.Body {
		if b.List != nil {
			numbered = append(numbered, b)
		}
	}
	if len(ps) != len(numbered) {
		t.Fatalf("%d numbered paragraphs in document.xml, %d in the layout", len(ps), len(numbered))
	}
	parenLists := map[string]bool{}
	for i, b := range numbered {
		id := ps[i][2]
		if f := abstract[nums[id]]; f != b.List.Format {
			t.Errorf("%q: numId %s is made from %v, the layout used %s", b.Label, id, f, b.List.Format.Name)
		}
		if !b.List.Format.Bulleted() && !restarts[id] {
			t.Errorf("%q: numId %s does not restart at 1", b.Label, id)
		}
		if b.List.Format == layout.FormatParen {
			parenLists[id] = true
		}
	}
	if len(parenLists) != 2 {
		t.Errorf("the «1)» lists of clauses 1 and 2 must be two Word lists, got %v", parenLists)
	}
}

func mustRender(t testing.TB, doc *layout.Doc, opt Options) []byte {
	t.Helper()
	out, err := Render(doc, opt)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestParagraphProperties(t *testing.T) {
	doc := caseByName(t, "rich").layout(t)
	_, parts := unzip(t, mustRender(t, doc, Options{}))
	d := string(parts["word/document.xml"])
	for _, want := range []string{
		`<w:keepNext/>`, `<w:pageBreakBefore/>`, `<w:ind w:left="5386" w:right="0" w:firstLine="0"/>`,
		`<w:ind w:left="0" w:right="0" w:firstLine="709"/>`, `<w:jc w:val="both"/>`, `<w:jc w:val="center"/>`,
		`<w:b/><w:bCs/><w:sz w:val="28"/>`, `<w:sz w:val="24"/>`, `<w:spacing w:before="322" w:after="0" w:line="240" w:lineRule="auto"/>`,
		// The signature: a right tab at the text width (170 mm).
		`<w:tabs><w:tab w:val="right" w:pos="9638"/></w:tabs>`,
		// Tables: grid, repeated bold centred header, centred «№» column.
		`<w:tblGrid>`, `<w:trPr><w:cantSplit/><w:tblHeader/></w:trPr>`, `<w:tblLayout w:type="fixed"/>`,
	} {
		if !strings.Contains(d, want) {
			t.Errorf("document.xml lacks %s", want)
		}
	}
	grid := regexp.MustCompile(`<w:tblGrid>(.*?)</w:tblGrid>`).FindStringSubmatch(d)[1]
	sum := 0
	for _, c := range regexp.MustCompile(`w:w="(\d+)"`).FindAllStringSubmatch(grid, -1) {
		var n int
		fmt.Sscan(c[1], &n)
		sum += n
	}
	if sum != 9638 {
		t.Errorf("table grid sums to %d twips, want the text width 9638", sum)
	}

	// Line spacing and margins follow layout.Page.
	doc2, err := layout.Build(mustDraft(t, "testdata/rich.json"), layout.Options{LineSpacing: 1.5, Left: 20, Right: 15})
	if err != nil {
		t.Fatal(err)
	}
	_, parts = unzip(t, mustRender(t, doc2, Options{}))
	d = string(parts["word/document.xml"])
	// The header (the page number) stands 10 mm from the top edge, as in the PDF.
	for _, want := range []string{`w:line="360" w:lineRule="auto"`, `<w:pgMar w:top="1134" w:right="850" w:bottom="1134" w:left="1134" w:header="567" w:footer="709" w:gutter="0"/>`,
		// 210 − 20 − 15 mm: the date line's tab stop and the signature's move with the margins.
		`<w:tab w:val="right" w:pos="9922"/>`} {
		if !strings.Contains(d, want) {
			t.Errorf("with line spacing 1.5 and margins 20/15: document.xml lacks %s", want)
		}
	}
	if strings.Contains(d, `w:pos="9638"`) {
		t.Error("a tab stop stayed at the template's text width")
	}
}

func TestPageNumbersFromPageTwo(t *testing.T) {
	_, parts := unzip(t, caseByName(t, "balashikha").render(t))
	d := string(parts["word/document.xml"])
	if !strings.Contains(d, `<w:titlePg/>`) || !strings.Contains(d, `w:type="first"`) || !strings.Contains(d, `w:type="default"`) {
		t.Error("sectPr needs titlePg and both a default and a first-page header")
	}
	if !strings.Contains(string(parts["word/header1.xml"]), " PAGE ") {
		t.Error("default header has no PAGE field")
	}
	if strings.TrimSpace(text(t, parts["word/header2.xml"])) != "" {
		t.Error("first-page header is not empty")
	}
}

func TestCoreProperties(t *testing.T) {
	when := time.Date(2022, 9, 22, 10, 30, 0, 0, time.UTC)
	doc := caseByName(t, "balashikha").layout(t)
	_, parts := unzip(t, mustRender(t, doc, Options{Time: when}))
	core := string(parts["docProps/core.xml"])
	for _, want := range []string{
		"<dc:title>Приказ от 22.09.2022 № 1355 «Об организации работы", "<dc:creator>УПРАВЛЕНИЕ ПО ОБРАЗОВАНИЮ</dc:creator>",
		"<dc:subject>Об организации работы", "<cp:category>Приказ</cp:category>",
		`<dcterms:created xsi:type="dcterms:W3CDTF">2022-09-22T10:30:00Z</dcterms:created>`,
	} {
		if !strings.Contains(core, want) {
			t.Errorf("core.xml lacks %s:\n%s", want, core)
		}
	}
	_, parts = unzip(t, caseByName(t, "rich-draft-corner").render(t))
	if core := string(parts["docProps/core.xml"]); !strings.Contains(core, "<cp:contentStatus>Проект</cp:contentStatus>") || strings.Contains(core, "dcterms:created") {
		t.Errorf("draft core.xml: %s", core)
	}
}

func TestDeterministic(t *testing.T) {
	for _, c := range cases {
		doc := c.layout(t)
		a := mustRender(t, doc, Options{})
		b := mustRender(t, doc, Options{})
		if !bytes.Equal(a, b) {
			t.Errorf("%s: two renders differ", c.name)
		}
		when := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
		x := mustRender(t, doc, Options{Time: when})
		y := mustRender(t, doc, Options{Time: when})
		if !bytes.Equal(x, y) || bytes.Equal(a, x) {
			t.Errorf("%s: a fixed time must give fixed bytes, different from no time", c.name)
		}
	}
}

// Renders from many goroutines give the same bytes as sequential ones; custom templates
// make go-docx run concurrently too (run with -race).
func TestConcurrent(t *testing.T) {
	docs := make([]*layout.Doc, len(cases))
	want := make([][]byte, len(cases))
	for i, c := range cases {
		docs[i] = c.layout(t)
		want[i] = mustRender(t, docs[i], Options{})
	}
	tmpls := make([][]byte, 8)
	for i := range tmpls {
		tmpls[i] = editDocument(t, gen.Centered(), func(s string) string {
			return strings.Replace(s, "{organization}", fmt.Sprintf("{organization} %d", i), 1)
		})
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8*20)
	for g := range 8 {
		wg.Go(func() {
			for j := range 20 {
				i := (g + j) % len(docs)
				got, err := Render(docs[i], Options{})
				if err != nil {
					errs <- err
					return
				}
				if !bytes.Equal(got, want[i]) {
					errs <- fmt.Errorf("goroutine %d: %s differs", g, cases[i].name)
				}
				if _, err := Render(docs[i], Options{Template: tmpls[(g+j)%len(tmpls)]}); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestBuiltinTemplates(t *testing.T) {
	for name, want := range map[string][]byte{"letterhead/centered.docx": gen.Centered(), "letterhead/corner.docx": gen.Corner()} {
		got, err := templates.Letterhead.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is not what internal/gen writes; run go test ./internal/render/docx/internal/gen -update", name)
		}
		if err := CheckTemplate(got); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	want := []string{"{draft_mark}", "{parents}", "{organization}", "{subordinate}", "{contacts}", "{kind}", "{date}", "{number}", "{place}", "{body}"}
	if got := Placeholders(); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("Placeholders() = %v", got)
	}
}

func TestTemplates(t *testing.T) {
	base := gen.Centered()
	doc := caseByName(t, "balashikha").layout(t)
	tests := []struct {
		name    string
		tmpl    []byte
		wantErr string // "" = renders
		check   func(t *testing.T, docXML string)
	}{
		{name: "unknown placeholder", tmpl: editDocument(t, base, func(s string) string {
			return strings.Replace(s, "{place}", "{plase}", 1)
		}), wantErr: "{plase}"},
		{name: "placeholder split across runs", tmpl: editDocument(t, base, func(s string) string {
			return strings.Replace(s, "{organization}", `{orga</w:t></w:r><w:r><w:rPr><w:b/></w:rPr><w:t>nization}`, 1)
		}), check: func(t *testing.T, d string) {
			if !strings.Contains(text(t, []byte(d)), "УПРАВЛЕНИЕ ПО ОБРАЗОВАНИЮ\n") {
				t.Error("split placeholder not filled")
			}
		}},
		{name: "no body", tmpl: editDocument(t, base, func(s string) string {
			return strings.Replace(s, "{body}", "", 1)
		}), wantErr: "exactly one {body}"},
		{name: "two bodies", tmpl: editDocument(t, base, func(s string) string {
			return strings.Replace(s, "{place}", "{body}", 1)
		}), wantErr: "exactly one {body}"},
		{name: "body with other text", tmpl: editDocument(t, base, func(s string) string {
			return strings.Replace(s, "{body}", "Текст {body}", 1)
		}), wantErr: "{body}"},
		{name: "body in a table", tmpl: editDocument(t, gen.Corner(), func(s string) string {
			s = strings.Replace(s, `<w:p><w:pPr></w:pPr><w:r><w:t xml:space="preserve">{body}</w:t></w:r></w:p>`, "", 1)
			return strings.Replace(s, "{place}", "{body}", 1)
		}), wantErr: "{body}"},
		{name: "not a zip", tmpl: []byte("PK nonsense"), wantErr: "zip"},
		{name: "field twice", tmpl: editDocument(t, base, func(s string) string {
			return strings.Replace(s, "{body}", "{body}</w:t></w:r></w:p><w:p><w:r><w:t>{kind} и {kind}", 1)
		}), check: func(t *testing.T, d string) {
			if !strings.Contains(text(t, []byte(d)), "ПРИКАЗ и ПРИКАЗ\n") {
				t.Error("a field used twice is not filled twice")
			}
		}},
		{name: "numbering related but missing", tmpl: rezip(t, base, func(name string, data []byte) []byte {
			switch name {
			case "word/_rels/document.xml.rels":
				return bytes.Replace(data, []byte("</Relationships>"), []byte(`<Relationship Id="rId9" Type="`+relNumbering+`" Target="numbering.xml"/></Relationships>`), 1)
			case "[Content_Types].xml":
				return bytes.Replace(data, []byte("</Types>"), []byte(`<Override PartName="/word/numbering.xml" ContentType="`+ctNumbering+`"/></Types>`), 1)
			}
			return nil
		}), check: func(t *testing.T, d string) {
			// The relationship pointed at a missing part: ours fills the gap.
			if !strings.Contains(d, "<w:numPr>") {
				t.Error("no numbered paragraphs")
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := Render(doc, Options{Template: tt.tmpl})
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("no error, want one mentioning %s", tt.wantErr)
				}
				if !errors.Is(err, ErrTemplate) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %q, want ErrTemplate mentioning %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			_, parts := unzip(t, out)
			if tt.check != nil {
				tt.check(t, string(parts["word/document.xml"]))
			}
		})
	}
}

// A template made in Word usually has a numbering part of its own: ours merges into it.
func TestTemplateNumberingMerge(t *testing.T) {
	own := xmlHeader + `<w:numbering xmlns:w="` + nsW + `"><w:abstractNum w:abstractNumId="0"><w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="%1)"/></w:lvl></w:abstractNum>` +
		`<w:abstractNum w:abstractNumId="4"><w:lvl w:ilvl="0"><w:numFmt w:val="bullet"/><w:lvlText w:val="*"/></w:lvl></w:abstractNum>` +
		`<w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num><w:num w:numId="7"><w:abstractNumId w:val="4"/></w:num></w:numbering>`
	tmpl := rezip(t, gen.Centered(), func(name string, data []byte) []byte {
		switch name {
		case "word/_rels/document.xml.rels":
			return bytes.Replace(data, []byte("</Relationships>"), []byte(`<Relationship Id="rId9" Type="`+relNumbering+`" Target="numbering.xml"/></Relationships>`), 1)
		case "[Content_Types].xml":
			return bytes.Replace(data, []byte("</Types>"), []byte(`<Override PartName="/word/numbering.xml" ContentType="`+ctNumbering+`"/></Types>`), 1)
		case "docProps/app.xml":
			return nil
		}
		return nil
	})
	// rezip cannot add entries; append the numbering part by rewriting through a new zip.
	tmpl = addPart(t, tmpl, "word/numbering.xml", []byte(own))
	out := mustRender(t, caseByName(t, "rich").layout(t), Options{Template: tmpl})
	_, parts := unzip(t, out)
	num := string(parts["word/numbering.xml"])
	for _, want := range []string{`<w:abstractNum w:abstractNumId="0">`, `<w:abstractNum w:abstractNumId="5">`, `<w:abstractNum w:abstractNumId="6">`,
		`<w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num>`, `<w:num w:numId="8"><w:abstractNumId w:val="5"/>`} {
		if !strings.Contains(num, want) {
			t.Errorf("merged numbering.xml lacks %s:\n%s", want, num)
		}
	}
	if strings.Index(num, "<w:num ") < strings.LastIndex(num, "<w:abstractNum ") {
		t.Error("a w:num precedes a w:abstractNum")
	}
	if n := strings.Count(string(parts["[Content_Types].xml"]), "/word/numbering.xml"); n != 1 {
		t.Errorf("%d overrides for numbering.xml", n)
	}
	checkSchemaOrder(t, "word/numbering.xml", parts["word/numbering.xml"])
	if !strings.Contains(string(parts["word/document.xml"]), `<w:numId w:val="8"/>`) {
		t.Error("paragraphs do not use the merged numIds")
	}
}

func addPart(t testing.TB, pkg []byte, name string, data []byte) []byte {
	t.Helper()
	names, parts := unzip(t, pkg)
	parts[name] = data
	names = append(names, name)
	var buf bytes.Buffer
	zw := newZip(&buf)
	for _, n := range names {
		w, err := zw.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(parts[n])
	}
	zw.Close()
	return buf.Bytes()
}

func mustDraft(t testing.TB, path string) *orderDraft {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	d, err := decodeDraft(b)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// Golden document.xml files show every change of the generated markup in review.
func TestGolden(t *testing.T) {
	for _, name := range []string{"balashikha", "rich", "rich-draft-corner"} {
		t.Run(name, func(t *testing.T) {
			_, parts := unzip(t, caseByName(t, name).render(t))
			got := parts["word/document.xml"]
			path := filepath.Join("testdata", name+".document.xml")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./internal/render/docx -run TestGolden -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from the golden file; inspect and run with -update", path)
			}
		})
	}
}

// Placeholders work in headers too (a header of page 2 naming the organization).
func TestHeaderPlaceholder(t *testing.T) {
	tmpl := rezip(t, gen.Centered(), func(name string, data []byte) []byte {
		if name == "word/header1.xml" {
			return bytes.Replace(data, []byte(`<w:r><w:fldChar w:fldCharType="begin"/>`),
				[]byte(`<w:r><w:t xml:space="preserve">{organization} — </w:t></w:r><w:r><w:fldChar w:fldCharType="begin"/>`), 1)
		}
		return nil
	})
	_, parts := unzip(t, mustRender(t, caseByName(t, "balashikha").layout(t), Options{Template: tmpl}))
	if got := text(t, parts["word/header1.xml"]); got != "УПРАВЛЕНИЕ ПО ОБРАЗОВАНИЮ — 2\n" {
		t.Errorf("header text %q", got)
	}
}
