// Package gen writes the built-in letterhead templates (templates/letterhead/*.docx):
// minimal, valid WordprocessingML packages that Word and LibreOffice open for editing.
// Keeping them as code makes every byte reviewable; `go test ./internal/render/docx/internal/gen -update`
// rewrites the files, and the plain test fails when the committed files have drifted.
package gen

import (
	"archive/zip"
	"bytes"
	"math"
	"strings"
	"time"

	"orders/internal/layout"
)

// Page geometry of the templates in twips: A4, margins 30/10/20/20 mm (ГОСТ Р 7.0.97 for
// documents kept over 10 years). The renderer rewrites the margins from its settings.
const (
	pageW, pageH = 11906, 16838
	marginTop    = 1134
	marginRight  = 567
	marginBottom = 1134
	marginLeft   = 1701
	// TextWidth is where the right tab stop of the date line sits; the renderer moves
	// tab stops at exactly this position when the margins change.
	TextWidth = pageW - marginLeft - marginRight
	// CornerWidth is the width of the corner block (угловой бланк): lines of at most 8 cm.
	CornerWidth = 4536
)

const nsDecl = `xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"`

const header = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n"

// para describes one letterhead paragraph.
type para struct {
	text   string // "\t" separates runs with a tab between them
	jc     string
	bold   bool
	size   int // half-points; 0 = the default 14 pt
	before int // twips
	tab    int // right tab stop, 0 = none
}

// pt is a length in points of layout.HeadGap in twips.
func pt(v float64) int { return int(math.Round(v * 20)) }

func (p para) xml() string {
	var b strings.Builder
	b.WriteString(`<w:p><w:pPr>`)
	if p.tab > 0 {
		b.WriteString(`<w:tabs><w:tab w:val="right" w:pos="` + itoa(p.tab) + `"/></w:tabs>`)
	}
	if p.before > 0 {
		b.WriteString(`<w:spacing w:before="` + itoa(p.before) + `"/>`)
	}
	if p.jc != "" {
		b.WriteString(`<w:jc w:val="` + p.jc + `"/>`)
	}
	rpr := p.rPr()
	b.WriteString(rpr)
	b.WriteString(`</w:pPr>`)
	for i, t := range strings.Split(p.text, "\t") {
		if i > 0 {
			b.WriteString(`<w:r>` + rpr + `<w:tab/></w:r>`)
		}
		b.WriteString(`<w:r>` + rpr + `<w:t xml:space="preserve">` + t + `</w:t></w:r>`)
	}
	b.WriteString("</w:p>\n")
	return b.String()
}

func (p para) rPr() string {
	if !p.bold && p.size == 0 {
		return ""
	}
	s := `<w:rPr>`
	if p.bold {
		s += `<w:b/><w:bCs/>`
	}
	if p.size > 0 {
		s += `<w:sz w:val="` + itoa(p.size) + `"/><w:szCs w:val="` + itoa(p.size) + `"/>`
	}
	return s + `</w:rPr>`
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var d []byte
	for ; n > 0; n /= 10 {
		d = append([]byte{byte('0' + n%10)}, d...)
	}
	return string(d)
}

// letterhead is the head of page 1, top to bottom (gost.md, «Requisites of page 1»), drawn as
// the PDF draws it (layout.Head): the kind word in the text size, no rule, the gaps of
// layout.HeadGap.
func letterhead(tab int) []para {
	return []para{
		{text: "{parents}", jc: "center"},
		{text: "{organization}", jc: "center", bold: true},
		{text: "{subordinate}", jc: "center", bold: true},
		{text: "{contacts}", jc: "center", size: 24, before: pt(layout.HeadGap.Contacts)},
		{text: "{kind}", jc: "center", bold: true, before: pt(layout.HeadGap.Kind)},
		{text: "{date}\t{number}", tab: tab, before: pt(layout.HeadGap.Date)},
		{text: "{place}", jc: "center"},
	}
}

var draftMark = para{text: "{draft_mark}", jc: "right", bold: true}

const sectPr = `<w:sectPr><w:headerReference w:type="default" r:id="rId4"/><w:headerReference w:type="first" r:id="rId5"/>` +
	`<w:pgSz w:w="11906" w:h="16838"/>` +
	`<w:pgMar w:top="1134" w:right="567" w:bottom="1134" w:left="1701" w:header="709" w:footer="709" w:gutter="0"/>` +
	`<w:cols w:space="708"/><w:titlePg/><w:docGrid w:linePitch="360"/></w:sectPr>`

func document(head string) string {
	return header + `<w:document ` + nsDecl + `><w:body>` + "\n" +
		head +
		para{text: "{body}"}.xml() +
		sectPr + `</w:body></w:document>`
}

// centeredDocument: the draft mark on its own first line at the right, then the letterhead.
func centeredDocument() string {
	var b strings.Builder
	b.WriteString(draftMark.xml())
	for _, p := range letterhead(TextWidth) {
		b.WriteString(p.xml())
	}
	return document(b.String())
}

// cornerDocument puts the head in the first cell, 8 cm wide, of a borderless table across
// the text width, and the draft mark in the second cell at the right, on the level of the
// first line of the block: the block keeps its width whatever the margins, and a clerk edits
// it like any table.
func cornerDocument() string {
	var b strings.Builder
	w, rest := itoa(CornerWidth), itoa(TextWidth-CornerWidth)
	b.WriteString(`<w:tbl><w:tblPr><w:tblW w:w="` + itoa(TextWidth) + `" w:type="dxa"/><w:tblInd w:w="0" w:type="dxa"/><w:tblLayout w:type="fixed"/>` +
		`<w:tblCellMar><w:left w:w="0" w:type="dxa"/><w:right w:w="0" w:type="dxa"/></w:tblCellMar></w:tblPr>` +
		`<w:tblGrid><w:gridCol w:w="` + w + `"/><w:gridCol w:w="` + rest + `"/></w:tblGrid><w:tr><w:tc><w:tcPr><w:tcW w:w="` + w + `" w:type="dxa"/></w:tcPr>` + "\n")
	for _, p := range letterhead(CornerWidth) {
		b.WriteString(p.xml())
	}
	b.WriteString(`</w:tc><w:tc><w:tcPr><w:tcW w:w="` + rest + `" w:type="dxa"/></w:tcPr>` + "\n")
	b.WriteString(draftMark.xml())
	b.WriteString(`</w:tc></w:tr></w:tbl>` + "\n")
	return document(b.String())
}

const contentTypes = header + `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
	`<Default Extension="png" ContentType="image/png"/><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>` +
	`<Default Extension="xml" ContentType="application/xml"/>` +
	`<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>` +
	`<Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/>` +
	`<Override PartName="/word/settings.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.settings+xml"/>` +
	`<Override PartName="/word/fontTable.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.fontTable+xml"/>` +
	`<Override PartName="/word/header1.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.header+xml"/>` +
	`<Override PartName="/word/header2.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.header+xml"/>` +
	`<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>` +
	`<Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>` +
	`</Types>`

const packageRels = header + `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
	`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>` +
	`<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/>` +
	`<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties" Target="docProps/app.xml"/>` +
	`</Relationships>`

const documentRels = header + `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
	`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>` +
	`<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/settings" Target="settings.xml"/>` +
	`<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/fontTable" Target="fontTable.xml"/>` +
	`<Relationship Id="rId4" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/header" Target="header1.xml"/>` +
	`<Relationship Id="rId5" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/header" Target="header2.xml"/>` +
	`</Relationships>`

// Times New Roman is what Word users expect; LibreOffice replaces it with the metric-
// compatible Liberation Serif, which altName names for readers that look there.
const styles = header + `<w:styles ` + nsDecl + `>` +
	`<w:docDefaults><w:rPrDefault><w:rPr><w:rFonts w:ascii="Times New Roman" w:eastAsia="Times New Roman" w:hAnsi="Times New Roman" w:cs="Times New Roman"/>` +
	`<w:sz w:val="28"/><w:szCs w:val="28"/><w:lang w:val="ru-RU" w:eastAsia="ru-RU" w:bidi="ar-SA"/></w:rPr></w:rPrDefault>` +
	`<w:pPrDefault><w:pPr><w:widowControl/><w:spacing w:after="0" w:line="240" w:lineRule="auto"/></w:pPr></w:pPrDefault></w:docDefaults>` +
	`<w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/><w:qFormat/></w:style>` +
	`<w:style w:type="character" w:default="1" w:styleId="DefaultParagraphFont"><w:name w:val="Default Paragraph Font"/><w:uiPriority w:val="1"/><w:semiHidden/><w:unhideWhenUsed/></w:style>` +
	`<w:style w:type="table" w:default="1" w:styleId="TableNormal"><w:name w:val="Normal Table"/><w:uiPriority w:val="99"/><w:semiHidden/><w:unhideWhenUsed/>` +
	`<w:tblPr><w:tblInd w:w="0" w:type="dxa"/><w:tblCellMar><w:top w:w="0" w:type="dxa"/><w:left w:w="108" w:type="dxa"/><w:bottom w:w="0" w:type="dxa"/><w:right w:w="108" w:type="dxa"/></w:tblCellMar></w:tblPr></w:style>` +
	`<w:style w:type="numbering" w:default="1" w:styleId="NoList"><w:name w:val="No List"/><w:uiPriority w:val="99"/><w:semiHidden/><w:unhideWhenUsed/></w:style>` +
	`<w:style w:type="paragraph" w:styleId="Header"><w:name w:val="header"/><w:basedOn w:val="Normal"/><w:uiPriority w:val="99"/><w:unhideWhenUsed/>` +
	`<w:pPr><w:jc w:val="center"/></w:pPr></w:style>` +
	`</w:styles>`

// doNotExpandShiftReturn keeps Word from stretching a justified line that ends in a
// forced break (multi-line titles and marks).
const settings = header + `<w:settings ` + nsDecl + `>` +
	`<w:zoom w:percent="100"/><w:defaultTabStop w:val="708"/><w:characterSpacingControl w:val="doNotCompress"/>` +
	`<w:compat><w:doNotExpandShiftReturn/><w:compatSetting w:name="compatibilityMode" w:uri="http://schemas.microsoft.com/office/word" w:val="15"/></w:compat>` +
	`<w:themeFontLang w:val="ru-RU"/><w:decimalSymbol w:val=","/><w:listSeparator w:val=";"/></w:settings>`

const fontTable = header + `<w:fonts ` + nsDecl + `>` +
	`<w:font w:name="Times New Roman"><w:altName w:val="Liberation Serif"/><w:panose1 w:val="02020603050405020304"/><w:charset w:val="CC"/><w:family w:val="roman"/><w:pitch w:val="variable"/></w:font>` +
	`</w:fonts>`

// Page numbers from page 2 (ГОСТ): titlePg gives page 1 the empty first header.
const pageHeader = header + `<w:hdr ` + nsDecl + `><w:p><w:pPr><w:pStyle w:val="Header"/><w:jc w:val="center"/></w:pPr>` +
	`<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve"> PAGE </w:instrText></w:r>` +
	`<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>2</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r></w:p></w:hdr>`

const firstHeader = header + `<w:hdr ` + nsDecl + `><w:p><w:pPr><w:pStyle w:val="Header"/></w:pPr></w:p></w:hdr>`

func core(title string) string {
	return header + `<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">` +
		`<dc:title>` + title + `</dc:title><dc:language>ru-RU</dc:language></cp:coreProperties>`
}

const app = header + `<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">` +
	`<Application>orders</Application></Properties>`

// Centered is the letterhead centred across the page.
func Centered() []byte {
	return pack(centeredDocument(), "Бланк приказа: реквизиты по центру")
}

// Corner is the corner letterhead (угловой бланк).
func Corner() []byte { return pack(cornerDocument(), "Бланк приказа: угловой") }

func pack(document, title string) []byte {
	files := []struct{ name, data string }{
		{"[Content_Types].xml", contentTypes},
		{"_rels/.rels", packageRels},
		{"word/document.xml", document},
		{"word/_rels/document.xml.rels", documentRels},
		{"word/styles.xml", styles},
		{"word/settings.xml", settings},
		{"word/fontTable.xml", fontTable},
		{"word/header1.xml", pageHeader},
		{"word/header2.xml", firstHeader},
		{"docProps/core.xml", core(title)},
		{"docProps/app.xml", app},
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range files {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f.name, Method: zip.Deflate, Modified: time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)})
		if err != nil {
			panic(err) // writing to memory cannot fail
		}
		w.Write([]byte(f.data))
	}
	if err := zw.Close(); err != nil {
		panic(err)
	}
	return buf.Bytes()
}
