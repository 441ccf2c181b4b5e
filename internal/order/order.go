// Package order owns the draft of an order (приказ, распоряжение, решение): its JSON
// shape, strict decoding and validation that reports every problem with its JSON path.
// It knows nothing about pages or numbering; that is internal/layout's job.
package order

// Kind is the document kind; it decides the heading and the operative word.
type Kind string

const (
	KindPrikaz         Kind = "приказ"
	KindRasporyazhenie Kind = "распоряжение"
	KindReshenie       Kind = "решение"
)

// Draft is one order as a clerk or an API client sends it. Numbers of clauses and
// appendices are never part of it: they are computed by the layout step.
type Draft struct {
	// Organization names a stored letterhead profile; the service fills Letterhead from it
	// when Letterhead is absent.
	Organization string      `json:"organization,omitempty"`
	Letterhead   *Letterhead `json:"letterhead,omitempty"`

	Kind Kind `json:"kind"`
	// Heading overrides the heading word («ПРИКАЗ»); a collegial body's heading may take
	// several lines as typed («РЕШЕНИЕ\nПЕДАГОГИЧЕСКОГО СОВЕТА»). Operative overrides
	// «ПРИКАЗЫВАЮ» («РЕШИЛИ», «ПОСТАНОВИЛИ»).
	Heading   string `json:"heading,omitempty"`
	Operative string `json:"operative,omitempty"`
	// SpacedOperative prints the operative word letter-spaced: «П Р И К А З Ы В А Ю:».
	SpacedOperative bool `json:"spaced_operative,omitempty"`
	// OperativeAt places the operative word: "line" (its own line, default), "preamble" (at
	// the end of the last preamble paragraph: «… в целях развития сети площадок приказываю:»)
	// or "none" (a collegial decision whose clauses follow the preamble directly).
	OperativeAt string `json:"operative_at,omitempty"`

	// Date is YYYY-MM-DD; empty while a draft. DateStyle: "numeric" (22.09.2022, default)
	// or "verbal" (22 сентября 2022 г.).
	Date      string `json:"date,omitempty"`
	DateStyle string `json:"date_style,omitempty"`
	// Number is the registration number («1355», «37-о»); empty while a draft.
	Number string `json:"number,omitempty"`
	// Unnumbered marks a document registered by its date alone (a council's decision): it
	// prints its date and no «№ ______», and is no longer a draft once it has a date.
	Unnumbered bool `json:"unnumbered,omitempty"`
	// DatePlace: "head" (the date and number line under the heading, default) or "title"
	// (under the title, where protocols and decisions of collegial bodies put it).
	DatePlace string `json:"date_place,omitempty"`
	// Protocol is the protocol of the meeting that took a decision («Протокол от 28.08.2020 № 1»).
	Protocol *Protocol `json:"protocol,omitempty"`
	Place    string    `json:"place,omitempty"`

	Title string `json:"title"`
	// Preamble paragraphs; a line break inside one starts another paragraph.
	Preamble []string `json:"preamble,omitempty"`
	// Numbering is the numbering style of each clause level, top first: "decimal" («1.»,
	// «1.1.», «1.1.1.», the default), "paren" («1)»), "letter" («а)») or "dash" («–»).
	// A clause's own Numbering overrides it for its children.
	Numbering []string `json:"numbering,omitempty"`
	Clauses   []Clause `json:"clauses"`
	// Control is the control clause
	// («Контроль за исполнением настоящего приказа оставляю за собой.»).
	Control string `json:"control,omitempty"`
	// ControlAt is the number the control clause takes among the top-level clauses; the
	// clauses from that place on follow it («Настоящий приказ вступает в силу …»). 0: last.
	ControlAt int `json:"control_at,omitempty"`
	// AppendixRef is the pattern of an appendix reference, {n} being its number.
	// Default «(приложение {n})».
	AppendixRef string `json:"appendix_ref,omitempty"`

	Signatory Signatory `json:"signatory"`
	// Signatories sign below Signatory: the secretary under the chair of a council.
	Signatories     []Signatory      `json:"signatories,omitempty"`
	Acknowledgement *Acknowledgement `json:"acknowledgement,omitempty"`
	Executor        *Executor        `json:"executor,omitempty"`
	Appendices      []Appendix       `json:"appendices,omitempty"`

	// Cancelled marks the working copy of a cancelled order. The service sets it from the
	// registry when it renders (internal/printed); it never comes from JSON.
	Cancelled *Cancellation `json:"-"`
	// Visas are printed on the «Лист согласования» (ГОСТ Р 7.0.97 requisite «виза») of a
	// registered order, from the registry's approval route (internal/printed); never from JSON.
	Visas []Visa `json:"-"`
	// Verification, when set, prints the QR-code requisite (ГОСТ Р 7.0.97-2025, requisite 31)
	// on page 1 of a registered order. The service sets it from the registry (internal/printed)
	// for organizations that turned the requisite on; it never comes from JSON.
	Verification *Verification `json:"-"`
	// Emblem is the organization's emblem (герб or logo) as a clean PNG (internal/emblem),
	// printed above the letterhead. The service sets it from the registry's organization
	// (internal/printed); it never comes from JSON.
	Emblem []byte `json:"-"`
	// DOCXTemplate is the organization's own DOCX letterhead template, set like Emblem; nil
	// selects the built-in letterheads. The PDF does not read it.
	DOCXTemplate []byte `json:"-"`
}

// Verification is what the QR code of a registered order carries besides its kind, number,
// date and organization, until the registry has a public check address.
type Verification struct {
	// TextSHA256 is the hex SHA-256 of the registered text: the normalized JSON draft with
	// its number and date, exactly as the registry keeps it (registry.Order.DraftHash).
	TextSHA256 string
	// URL is the order's public check address (printed.CheckURL), when the installation
	// knows its public address; the code then carries it alone, as phones open an address.
	URL string
}

// Visa is one line of the Лист согласования.
type Visa struct {
	Position string
	Name     string
	Decision string // «Согласовано», «Согласовано с замечаниями», «Не согласовано»
	Remark   string
	Date     string // YYYY-MM-DD, in Moscow; "" while not answered
}

// Cancellation is what the working copy of a cancelled order says about its cancellation.
type Cancellation struct {
	Date   string // YYYY-MM-DD, in Moscow
	Reason string
	By     string // who cancelled, as a person reads it
}

// Letterhead is the organization block of page 1 (ГОСТ Р 7.0.97 requisites 1–8).
type Letterhead struct {
	// Parents are the superior bodies, top first («Администрация Городского округа Балашиха»).
	Parents []string `json:"parents,omitempty"`
	Name    string   `json:"name"`
	// Subordinate is a body issuing under the organization's name
	// («МБУ «ЦЕНТР ИНФОРМАЦИОННО-МЕТОДИЧЕСКОГО СОПРОВОЖДЕНИЯ»»).
	Subordinate string `json:"subordinate,omitempty"`
	// ShortName is used in appendix marks: «к приказу МБУ «ЦИМС»».
	ShortName string `json:"short_name,omitempty"`
	Address   string `json:"address,omitempty"`
	Phone     string `json:"phone,omitempty"`
	Fax       string `json:"fax,omitempty"`
	Email     string `json:"email,omitempty"`
	Site      string `json:"site,omitempty"`
	// Layout: "centered" (default) or "corner" (угловой бланк).
	Layout string `json:"layout,omitempty"`
	// QRCode turns on the QR-code requisite of registered orders (ГОСТ Р 7.0.97-2025,
	// requisite 31); off by default. The service reads it from the organization's stored
	// profile when it renders, never from a draft's own letterhead.
	QRCode bool `json:"qr_code,omitempty"`
}

// Protocol names the protocol of a collegial body's meeting.
type Protocol struct {
	Number string `json:"number"`
	Date   string `json:"date"` // YYYY-MM-DD
}

// Clause is a numbered clause of the operative part; Children nest up to MaxDepth levels.
// What a clause prints, in order: its text (a line break in it starts a paragraph), its
// Content, its Basis line, its Children.
type Clause struct {
	// Text is required unless Action is given.
	Text string `json:"text,omitempty"`
	// Action, Person, Position and Date make a personnel clause (приказ по личному составу):
	// «ПРИНЯТЬ Иванову Марию Петровну на должность учителя с 01.09.2023 <Text>». The action
	// is printed in capitals; Date (YYYY-MM-DD) follows «с», except for «уволить».
	Action   string `json:"action,omitempty"`
	Person   string `json:"person,omitempty"`
	Position string `json:"position,omitempty"`
	Date     string `json:"date,omitempty"`
	// Basis is printed as its own line «Основание: …» after the clause.
	Basis       string `json:"basis,omitempty"`
	Responsible string `json:"responsible,omitempty"`
	Deadline    string `json:"deadline,omitempty"`
	// Appendix is the key of an appendix this clause refers to; the reference is
	// rendered with the appendix's computed number.
	Appendix string `json:"appendix,omitempty"`
	// Content is unnumbered paragraphs, dash lists and tables inside the clause, after its text.
	Content []Block `json:"content,omitempty"`
	// Numbering is the style of the children (see Draft.Numbering).
	Numbering string   `json:"numbering,omitempty"`
	Children  []Clause `json:"children,omitempty"`
}

// Signatory signs the order: position lines at the left, the name at the right.
type Signatory struct {
	Position []string `json:"position"`
	Name     string   `json:"name"`
}

// Acknowledgement lists who must read the order.
type Acknowledgement struct {
	// Style: "lines" («С приказом ознакомлены:», default) or "sheet" (Лист ознакомления).
	Style  string   `json:"style,omitempty"`
	People []Person `json:"people"`
}

// Person is someone named in the acknowledgement block.
type Person struct {
	Name     string `json:"name"`
	Position string `json:"position,omitempty"`
	// Date is when the person read the order (YYYY-MM-DD), once recorded.
	Date string `json:"date,omitempty"`
}

// Executor is the отметка об исполнителе.
type Executor struct {
	Name  string `json:"name"`
	Phone string `json:"phone,omitempty"`
}

// Appendix is an attachment that starts on a new page.
type Appendix struct {
	Key string `json:"key"`
	// Approved adds the approval grif «УТВЕРЖДЕНО приказом …» (for a Положение, a plan).
	Approved bool    `json:"approved,omitempty"`
	Title    string  `json:"title"`
	Content  []Block `json:"content"`
}

// Block is one piece of appendix content; exactly one field is set.
type Block struct {
	Paragraph string   `json:"paragraph,omitempty"`
	List      []string `json:"list,omitempty"`
	Table     *Table   `json:"table,omitempty"`
	// Section is a numbered section («1. Общие положения»); Point is a numbered paragraph
	// («1.1. …») under the enclosing section or point. Numbering restarts in every appendix.
	Section *Section `json:"section,omitempty"`
	Point   *Point   `json:"point,omitempty"`
}

// Section is a numbered heading of a Положение with its content.
type Section struct {
	Title   string  `json:"title"`
	Content []Block `json:"content,omitempty"`
}

// Point is a numbered paragraph, possibly with nested content.
type Point struct {
	Text    string  `json:"text"`
	Content []Block `json:"content,omitempty"`
}

// Table is a table of an appendix.
type Table struct {
	Columns []Column `json:"columns"`
	// Numbered adds an auto-numbered «№» column at the left.
	Numbered bool       `json:"numbered,omitempty"`
	Rows     [][]string `json:"rows"`
}

// Column is a table column; Width is relative to the other columns (default 1).
type Column struct {
	Title string  `json:"title"`
	Width float64 `json:"width,omitempty"`
}

// IsDraft reports whether the order has not been registered yet: it has no number
// or no date, so it prints «ПРОЕКТ» and blanks.
// An unnumbered document is registered by its date alone.
func (d *Draft) IsDraft() bool { return (d.Number == "" && !d.Unnumbered) || d.Date == "" }

// Numbering styles of clause levels.
const (
	NumDecimal = "decimal"
	NumParen   = "paren"
	NumLetter  = "letter"
	NumDash    = "dash"
)

// ChildNumbering is the numbering style of the children of c, a clause at depth (0: top)
// numbered in style: the clause's own choice, else the draft's for the children's level.
func (d *Draft) ChildNumbering(c *Clause, depth int, style string) string {
	if c.Numbering != "" {
		return c.Numbering
	}
	return d.LevelNumbering(depth+1, style)
}

// LevelNumbering is the numbering style of clause level depth (0: top) under a parent level
// numbered in parent: the draft's choice for the level, else the usual descent
// «1.» → «1.1.», «1)» → «а)» → «–».
func (d *Draft) LevelNumbering(depth int, parent string) string {
	if depth < len(d.Numbering) && d.Numbering[depth] != "" {
		return d.Numbering[depth]
	}
	switch {
	case depth == 0 || parent == NumDecimal:
		return NumDecimal
	case parent == NumParen:
		return NumLetter
	}
	return NumDash
}
