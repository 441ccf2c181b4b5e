// Package layout turns a draft into the sequence of blocks that both renderers draw.
// Every decision about words and structure lives here once: clause and appendix numbers,
// appendix references and marks, the «ПРОЕКТ» marking, Russian dates, non-breaking joins
// and quotes, which block keeps with which. Renderers decide only geometry.
package layout

// Doc is a laid-out order: page settings, the letterhead of page 1 and the body blocks.
type Doc struct {
	Meta Meta
	Page Page
	Head Head
	Body []Block
	// QR is the QR-code requisite of page 1, nil when the order carries none.
	QR *QR
	// Emblem is the organization's emblem above the letterhead, nil when it has none.
	Emblem *Emblem
}

// Emblem is the герб or logo of ГОСТ Р 7.0.97 (requisites 01–03): centred above the name of
// the organization, at the top of the letterhead block of the centred and the corner blank.
// Both renderers draw PNG at Width×Height mm and keep Gap mm below it.
type Emblem struct {
	PNG                []byte
	Width, Height, Gap float64
}

// Meta is what goes into document properties (PDF Info/XMP, DOCX core.xml).
type Meta struct {
	Title   string // «Приказ № 1355 от 22.09.2022 «Об организации …»»
	Author  string // the organization
	Subject string // the order's title
	Kind    string // «Приказ»
	Draft   bool
}

// Page holds the page geometry and typography shared by both renderers.
type Page struct {
	// Margins in millimetres.
	Top, Right, Bottom, Left float64
	// FontSize of the text in points; SmallSize for tables, contacts, the executor mark.
	FontSize, SmallSize float64
	// LineSpacing is a multiple of single spacing (1.0–2.0).
	LineSpacing float64
	// FirstIndent is the first-line indent of paragraphs in millimetres (12.5 = 1.25 cm).
	FirstIndent float64
}

// Head is the letterhead and the requisites of page 1 above the title.
//
// Both formats draw it alike (the DOCX through its built-in letterhead templates, which
// internal/render/docx/internal/gen writes from HeadGap): the kind word in bold capitals of
// the text size, not letter-spaced; no rule under the letterhead; the draft mark
// («ПРОЕКТ», «ОТМЕНЁН») bold at the right margin on the first line of page 1, on a line of
// its own above a centred letterhead and beside a corner block.
type Head struct {
	Corner bool // угловой бланк: the head sits in a 80 mm block at the top left
	// Parents, Name, Subordinate are the letterhead lines, already in their final case.
	Parents     []string
	Name        string
	Subordinate string
	// Contacts are the reference-data lines in the small size (address, phone, e-mail, site).
	Contacts []string
	// DraftMark is «ПРОЕКТ» for an unregistered order, "" otherwise.
	DraftMark string
	KindWord  string // «ПРИКАЗ»
	Date      string // «22.09.2022», or a blank line for a draft
	Number    string // «№ 1355», or «№ ______» for a draft
	Place     string // «пгт. Верх-Чебула»
}

// TableCellPad is the inner margin of table cells in mm, at the sides (Word's default
// 0.19 cm) and above and below the text (0.4 mm); both renderers use it. Both are whole
// twips, the unit the DOCX stores them in, so LibreOffice pads exactly as the PDF does.
var TableCellPad = struct{ X, Y float64 }{X: 108 * mmPerTwip, Y: 23 * mmPerTwip}

const mmPerTwip = 25.4 / 1440

// PageNumberTop is how far below the top edge of the page the page number's line starts, in
// mm: centred in the top margin, but at least 10 mm from the edge (ГОСТ Р 7.0.97). The DOCX
// puts its header there.
func (p Page) PageNumberTop() float64 {
	size, spacing := p.FontSize, p.LineSpacing
	if size <= 0 {
		size = DefaultPage.FontSize
	}
	if spacing <= 0 {
		spacing = 1
	}
	return max(10, (p.Top-size*singleLine*spacing*25.4/72)/2)
}

// singleLine is the height of a single-spaced line of a Times-metric face, in ems (Word's and
// LibreOffice's: ascent + descent + line gap).
const singleLine = 1.15

// HeadGap is the space above parts of the letterhead, in points: above the contact lines,
// the kind word and the date line. One line of 14 pt text is 16.1 pt.
var HeadGap = struct{ Contacts, Kind, Date float64 }{Contacts: 6, Kind: 18, Date: 12}

// Align is a paragraph's horizontal alignment.
type Align int

const (
	Justify Align = iota
	Left
	Center
	Right
)

// Kind says what a block is.
type Kind int

const (
	Paragraph Kind = iota
	TableBlock
	SignatureBlock
)

// Block is one paragraph, table or signature of the body.
type Block struct {
	Kind Kind
	// Text is the paragraph's text after typography; "\n" is a forced line break.
	Text string
	// Label is the computed number printed before the text («1.1.», «–»), "" if none.
	Label string
	// List ties numbered paragraphs into one Word numbering instance: paragraphs with the
	// same List.ID continue one sequence, Level is 0-based. Nil for an unnumbered paragraph.
	List  *ListRef
	Bold  bool
	Align Align
	// FirstIndent applies Page.FirstIndent to the first line.
	FirstIndent bool
	// LeftIndent in millimetres moves the whole paragraph right (appendix marks).
	LeftIndent float64
	// Small sets Page.SmallSize instead of Page.FontSize.
	Small bool
	// SpaceBefore is extra space above the block, in lines of the block's size.
	SpaceBefore float64
	// KeepWithNext keeps this block on the page of the next one.
	KeepWithNext bool
	// PageBreakBefore starts the block on a new page (appendices, Лист ознакомления).
	PageBreakBefore bool
	// AtPageBottom places the block at the left of the foot of the page its place in the
	// text falls on (the executor mark: bottom left of the order's last page, ГОСТ Р 7.0.97).
	// The PDF puts it there in the flow; the DOCX as a frame anchored to the bottom margin.
	// Both break its lines to the left half of the text width, so on page 1 it stands beside
	// the QR code, at the same height.
	AtPageBottom bool

	Table     *Table
	Signature *Signature
}

// ListRef places a numbered paragraph in a numbering sequence.
type ListRef struct {
	ID    int
	Level int
	// Format is how the list numbers its levels: the same definition gives the Label here and
	// Word's numbering definition in the DOCX, so the two cannot disagree.
	Format *NumFormat
}

// NumFormat is a list's numbering: one NumLevel per level, as Word defines a list.
type NumFormat struct {
	// Name identifies the format («clause», «paren», «letter», «dash»).
	Name   string
	Levels []NumLevel
}

// NumLevel is one level of a numbering format.
type NumLevel struct {
	Style NumStyle
	// Text is the label pattern in Word's notation: %k stands for the counter of level k
	// (1-based) in that level's style: «%1.%2.», «%1)», or a bullet «–».
	Text string
}

// NumStyle is how a counter is written.
type NumStyle int

const (
	Decimal      NumStyle = iota // 1, 2, 3
	RussianLower                 // а, б, в … as Word's russianLower: no ё, й, ъ, ы, ь
	Bullet                       // no counter: the Text is printed as is
)

// Bulleted reports whether the format counts nothing, so all its lists may share one sequence.
func (f *NumFormat) Bulleted() bool {
	for _, l := range f.Levels {
		if l.Style != Bullet {
			return false
		}
	}
	return true
}

// Table is a table with a header row that is repeated on every page.
type Table struct {
	// Widths are fractions of the text width, summing to 1.
	Widths []float64
	Header []string
	Rows   [][]string
	// NumberColumn marks column 0 as the computed «№» column (centred).
	NumberColumn bool
	// Fitted: Widths are the columns the PDF sized from their content (pdf.FitTables), which
	// both renderers draw as they are; otherwise they are the draft's preference.
	Fitted bool
}

// Signature is the signature block: position lines at the left, the name at the right
// margin on the last position line.
type Signature struct {
	Position []string
	Name     string
	// Stamp is the visible mark of an electronic signature (ГОСТ Р 7.0.97, п. 5.23), drawn in a
	// frame in the signature place: «ДОКУМЕНТ ПОДПИСАН ЭЛЕКТРОННОЙ ПОДПИСЬЮ», the certificate
	// serial, the owner, the validity. Nil for a handwritten signature.
	Stamp []string
}
