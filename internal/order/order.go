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
	// Heading overrides the heading word («ПРИКАЗ»); Operative overrides «ПРИКАЗЫВАЮ».
	Heading   string `json:"heading,omitempty"`
	Operative string `json:"operative,omitempty"`
	// SpacedOperative prints the operative word letter-spaced: «П Р И К А З Ы В А Ю:».
	SpacedOperative bool `json:"spaced_operative,omitempty"`

	// Date is YYYY-MM-DD; empty while a draft. DateStyle: "numeric" (22.09.2022, default)
	// or "verbal" (22 сентября 2022 г.).
	Date      string `json:"date,omitempty"`
	DateStyle string `json:"date_style,omitempty"`
	// Number is the registration number («1355», «37-о»); empty while a draft.
	Number string `json:"number,omitempty"`
	Place  string `json:"place,omitempty"`

	Title    string   `json:"title"`
	Preamble []string `json:"preamble,omitempty"`
	Clauses  []Clause `json:"clauses"`
	// Control is the control clause, always numbered last
	// («Контроль за исполнением настоящего приказа оставляю за собой.»).
	Control string `json:"control,omitempty"`
	// AppendixRef is the pattern of an appendix reference, {n} being its number.
	// Default «(приложение {n})».
	AppendixRef string `json:"appendix_ref,omitempty"`

	Signatory       Signatory        `json:"signatory"`
	Acknowledgement *Acknowledgement `json:"acknowledgement,omitempty"`
	Executor        *Executor        `json:"executor,omitempty"`
	Appendices      []Appendix       `json:"appendices,omitempty"`

	// Cancelled marks the working copy of a cancelled order. The service sets it from the
	// registry when it renders (internal/printed); it never comes from JSON.
	Cancelled *Cancellation `json:"-"`
	// Visas are printed on the «Лист согласования» (ГОСТ Р 7.0.97 requisite «виза») of a
	// registered order, from the registry's approval route (internal/printed); never from JSON.
	Visas []Visa `json:"-"`
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
}

// Clause is a numbered clause of the operative part; Children nest up to MaxDepth levels.
type Clause struct {
	Text        string `json:"text"`
	Responsible string `json:"responsible,omitempty"`
	Deadline    string `json:"deadline,omitempty"`
	// Appendix is the key of an appendix this clause refers to; the reference is
	// rendered with the appendix's computed number.
	Appendix string   `json:"appendix,omitempty"`
	Children []Clause `json:"children,omitempty"`
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
func (d *Draft) IsDraft() bool { return d.Number == "" || d.Date == "" }
