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
	// AtPageBottom asks to place the block at the foot of its page (the executor mark).
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
