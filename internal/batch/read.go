// Package batch turns rows of data (CSV, XLSX, JSON) and an order template with {field}
// placeholders into validated drafts. It checks every row before anything is issued and
// reports all problems at once, in Russian, with the row and column the clerk sees in the
// file. It knows nothing about HTTP or queues.
package batch

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"maps"
	"path"
	"slices"
	"strings"
	"unicode/utf8"
)

// Limits of one batch. A school year's platform orders are a few hundred rows; the limits
// keep a mistaken upload (a whole registry, a zip bomb) from occupying a worker.
const (
	MaxRows     = 10000
	MaxFileSize = 20 << 20
	MaxColumns  = 256
)

// Limits of an XLSX workbook as unpacked. A sheet of MaxRows rows is a few megabytes of XML;
// the bounds leave ample room for that and refuse a small file that inflates to gigabytes
// before any of it is parsed.
const (
	maxXLSXParts       = 1000
	maxXLSXSheetPart   = 64 << 20 // a worksheet, streamed row by row from a temporary file
	maxXLSXStringsPart = 16 << 20 // shared strings, which excelize indexes in memory
	maxXLSXOtherPart   = 8 << 20  // styles, workbook, relationships, anything else
	maxXLSXUnpacked    = 128 << 20
)

// Errors that make a file unreadable as a whole; they wrap a Russian explanation and can
// be matched with errors.Is to choose an HTTP status.
var (
	ErrTooLarge    = errors.New("файл слишком большой")
	ErrTooManyRows = errors.New("слишком много строк")
	ErrFormat      = errors.New("файл не читается")
	// ErrUnpackedTooLarge is a workbook that inflates beyond the limits above (a zip bomb, or
	// a whole registry exported as one sheet).
	ErrUnpackedTooLarge = errors.New("книга XLSX слишком велика в распакованном виде")
)

// Table is the rows of a data file under their header.
type Table struct {
	// Format is "csv", "xlsx" or "json"; Encoding is the text encoding of a CSV file.
	Format   string
	Encoding string
	// Columns are the header names as written (trimmed), in file order. Names are compared
	// by normName: case-insensitive, ё = е, spaces and underscores alike.
	Columns []string
	// HeaderLine is the row of the header as the user sees it (the last row of a merged
	// XLSX header block); 0 for JSON, which has none.
	HeaderLine int
	Rows       []Row
	// Problems are what the reader found wrong in single rows (cells beyond the header,
	// broken quotes); NewPlan reports them with its own and never issues those rows.
	Problems []RowProblem
	// Warnings are harmless oddities worth showing (data under a column with no name).
	Warnings []string
}

// Row is one data row.
type Row struct {
	// Line is the row number as the user sees it: the spreadsheet row for CSV (the header
	// is 1; a quoted cell with line breaks is one row, as in Excel) and XLSX, the 1-based
	// position of the object for JSON.
	Line int
	// Cells maps a name from Table.Columns to the cell's text, trimmed. A missing name is
	// an empty cell.
	Cells map[string]string
}

// ReadOptions tunes ReadRowsWith.
type ReadOptions struct {
	// Sheet names the XLSX sheet to read; empty means the first one.
	Sheet string
}

// ReadRows reads a data file, choosing the format by content and extension.
func ReadRows(name string, data []byte) (*Table, error) {
	return ReadRowsWith(name, data, ReadOptions{})
}

// ReadRowsWith is ReadRows with options.
func ReadRowsWith(name string, data []byte, opts ReadOptions) (*Table, error) {
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("%w: %d байт, допустимо не более %d МБ", ErrTooLarge, len(data), MaxFileSize>>20)
	}
	var (
		t   *Table
		err error
	)
	switch detectFormat(name, data) {
	case "xlsx":
		t, err = readXLSX(data, opts.Sheet)
	case "json":
		t, err = readJSON(data)
	case "xls":
		return nil, fmt.Errorf("%w: это файл старого формата Excel (.xls) или зашифрованная книга; сохраните его как .xlsx или CSV", ErrFormat)
	default:
		t, err = readCSV(data)
	}
	if err != nil {
		return nil, err
	}
	return t, nil
}

var (
	zipMagic = []byte("PK\x03\x04")
	oleMagic = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}
)

// detectFormat trusts binary signatures over the name (a file renamed to .csv is still a
// zip), then the extension, then the first character for names without one.
func detectFormat(name string, data []byte) string {
	switch {
	case bytes.HasPrefix(data, zipMagic):
		return "xlsx"
	case bytes.HasPrefix(data, oleMagic):
		return "xls"
	}
	switch strings.ToLower(path.Ext(name)) {
	case ".xlsx", ".xlsm":
		return "xlsx"
	case ".xls":
		return "xls"
	case ".json":
		return "json"
	case ".csv", ".txt", ".tsv":
		return "csv"
	}
	trimmed := bytes.TrimLeft(bytes.TrimPrefix(data, bomUTF8), " \t\r\n")
	if len(trimmed) > 0 && (trimmed[0] == '[' || trimmed[0] == '{') {
		return "json"
	}
	return "csv"
}

// builder collects data rows under a header shared by the three readers.
type builder struct {
	t *Table
	// names holds the column name of every position in the file; "" for a position
	// whose header cell is empty.
	names   []string
	unnamed map[int]int // position → non-empty cells under an unnamed header cell
	// covered are positions under a wide merged header cell (XLSX): their cells are
	// copies of the merged data cell at its left, not data without a column.
	covered map[int]bool
	// lenient takes cells right of the header as a column without a name (a warning):
	// in a spreadsheet they are a note beside the table. In CSV they mean a delimiter
	// inside an unquoted value shifted the row, which is the row's problem.
	lenient bool
}

// setHeader takes the header cells. Trailing empty cells are dropped (Excel exports a
// column that once held something); an empty name inside the header leaves an unnamed
// column whose cells are not used; two names equal under normName are an error.
func (b *builder) setHeader(line int, cells []string) error {
	names := make([]string, len(cells))
	for i, c := range cells {
		names[i] = strings.TrimSpace(c)
	}
	for len(names) > 0 && names[len(names)-1] == "" {
		names = names[:len(names)-1]
	}
	if len(names) > MaxColumns {
		return fmt.Errorf("%w: в заголовке %d столбцов, допустимо не более %d", ErrFormat, len(names), MaxColumns)
	}
	seen := map[string]int{}
	for i, n := range names {
		if n == "" {
			continue
		}
		k := normName(n)
		if j, ok := seen[k]; ok {
			return fmt.Errorf("%w: строка %d: столбцы %d «%s» и %d «%s» называются одинаково (регистр и ё/е не различаются)",
				ErrFormat, line, j+1, names[j], i+1, n)
		}
		seen[k] = i
		b.t.Columns = append(b.t.Columns, n)
	}
	b.names = names
	b.t.HeaderLine = line
	b.unnamed = map[int]int{}
	return nil
}

// addRow adds a data row; a row of empty cells is skipped (it still counts for the
// numbering of the rows after it, which the caller owns).
func (b *builder) addRow(line int, cells []string) error {
	empty := true
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			empty = false
			break
		}
	}
	if empty {
		return nil
	}
	if len(b.t.Rows) >= MaxRows {
		return fmt.Errorf("%w: больше %d строк данных (строка %d и дальше); разделите файл", ErrTooManyRows, MaxRows, line)
	}
	row := Row{Line: line, Cells: make(map[string]string, len(b.t.Columns))}
cells:
	for i, c := range cells {
		c = strings.TrimSpace(c)
		switch {
		case i < len(b.names) && b.names[i] != "":
			row.Cells[b.names[i]] = c
		case c == "" || b.covered[i]:
		case i < len(b.names) || b.lenient:
			b.unnamed[i]++
		default:
			b.t.Problems = append(b.t.Problems, RowProblem{Line: line, Message: fmt.Sprintf(
				"лишняя ячейка в столбце %d, правее заголовка (столбцов в заголовке: %d): «%s»", i+1, len(b.names), excerpt(c))})
			// One report per row is enough to find the shifted cells.
			break cells
		}
	}
	b.t.Rows = append(b.t.Rows, row)
	return nil
}

func (b *builder) finish() *Table {
	for _, i := range slices.Sorted(maps.Keys(b.unnamed)) {
		if n := b.unnamed[i]; n > 0 {
			b.t.Warnings = append(b.t.Warnings, fmt.Sprintf(
				"столбец %d без заголовка: его непустые ячейки (%d) не используются", i+1, n))
		}
	}
	return b.t
}

func excerpt(s string) string {
	const n = 40
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}

// readCSV reads RFC 4180 CSV with encoding/csv (LazyQuotes off: a stray quote is reported,
// not guessed at). The delimiter is «;», «,» or a tab, whichever the header line has most
// of outside quotes; «;» wins a tie, being what Russian Excel writes.
func readCSV(data []byte) (*Table, error) {
	text, enc := decodeText(data)
	b := &builder{t: &Table{Format: "csv", Encoding: enc}}

	// Excel writes and honours a first line «sep=;» naming the delimiter, and does not
	// show it as a row.
	var delim rune
	first, rest, _ := strings.Cut(text, "\n")
	if f := strings.TrimRight(first, "\r"); len(f) == 5 && strings.HasPrefix(strings.ToLower(f), "sep=") {
		delim = rune(f[4])
		text = rest
	}
	if delim == 0 {
		delim = detectDelimiter(text)
	}

	r := csv.NewReader(strings.NewReader(text))
	r.Comma = delim
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	lines := lineCounter{s: text}
	// extra counts the line breaks inside quoted cells so far: Excel shows such a record
	// as one row, so the row number is the physical line minus them. encoding/csv skips
	// blank lines, which Excel shows as empty rows; physical lines keep them counted.
	extra := 0
	header := false
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		var start int
		var pe *csv.ParseError
		switch {
		case errors.As(err, &pe):
			start = pe.StartLine
		case err != nil:
			return nil, fmt.Errorf("%w: %v", ErrFormat, err)
		default:
			start, _ = r.FieldPos(0)
		}
		end := lines.lineOf(int(r.InputOffset()))
		line := start - extra
		extra += end - start
		if pe != nil {
			if !header {
				return nil, fmt.Errorf("%w: строка %d (заголовок): %s", ErrFormat, line, quoteMessage(pe, r.InputOffset() == int64(len(text))))
			}
			col := ""
			if i := len(rec); i < len(b.names) {
				col = b.names[i]
			}
			b.t.Problems = append(b.t.Problems, RowProblem{Line: line, Column: col,
				Message: quoteMessage(pe, r.InputOffset() == int64(len(text)))})
			continue
		}
		if !header {
			if allEmpty(rec) {
				continue
			}
			if err := b.setHeader(line, rec); err != nil {
				return nil, err
			}
			header = true
			continue
		}
		if err := b.addRow(line, rec); err != nil {
			return nil, err
		}
	}
	return b.finish(), nil
}

func quoteMessage(pe *csv.ParseError, atEOF bool) string {
	switch {
	case errors.Is(pe.Err, csv.ErrBareQuote):
		return "кавычка внутри ячейки без кавычек: заключите ячейку в кавычки, а кавычки внутри неё удвойте"
	case errors.Is(pe.Err, csv.ErrQuote) && atEOF && pe.Line != pe.StartLine:
		return "кавычка, открытая в этой ячейке, не закрыта до конца файла"
	case errors.Is(pe.Err, csv.ErrQuote):
		return "лишняя кавычка в ячейке в кавычках: кавычки внутри ячейки удваиваются"
	}
	return pe.Err.Error()
}

func allEmpty(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// detectDelimiter counts the candidates in the first non-blank line, outside quotes.
func detectDelimiter(text string) rune {
	counts := map[rune]int{}
	inQuote, started := false, false
	for _, c := range text {
		if c == '"' {
			inQuote = !inQuote
		}
		if inQuote {
			continue
		}
		if c == '\n' {
			if started {
				break
			}
			continue
		}
		if c != '\r' && c != ' ' {
			started = true
		}
		if c == ';' || c == ',' || c == '\t' {
			counts[c]++
		}
	}
	best := ';'
	for _, c := range []rune{',', '\t'} {
		if counts[c] > counts[best] {
			best = c
		}
	}
	return best
}

// lineCounter answers "on which line is this byte offset" for increasing offsets in
// amortized constant time.
type lineCounter struct {
	s     string
	pos   int
	lines int // '\n' in s[:pos]
}

// lineOf returns the 1-based line of the last byte before off: the line a record that
// ends at off (after its newline) ends on.
func (c *lineCounter) lineOf(off int) int {
	if off <= 0 {
		return 1
	}
	off-- // the record's own newline belongs to its last line
	if off > c.pos {
		c.lines += strings.Count(c.s[c.pos:off], "\n")
		c.pos = off
	}
	return c.lines + 1
}
