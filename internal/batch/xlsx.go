package batch

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/xuri/excelize/v2"
)

// readXLSX reads one sheet of a workbook with cell values as Excel displays them (number
// formats applied; the built-in short date shown the Russian way, 24.08.2021).
//
// Merged cells: every cell a merged range covers takes the range's value, in the header
// and in the data (an organization merged over its two topics belongs to both rows).
//
// The header rule:
//  1. Leading empty rows are skipped, and so is a leading row with a single filled cell
//     when the next filled row has more (a title such as «Перечень площадок» above the
//     table, or a group header with nothing beside it).
//  2. The header block starts at the first remaining row. It grows down while a merged
//     range that starts in it reaches below it (a vertically merged «№» over two rows),
//     and while its last row has a horizontally merged cell above two or more different
//     values (a group «Площадка» over «Организация» and «Тема»).
//  3. Each column is named by its lowest filled cell in the block; data starts below it.
//     A cell merged across columns in the block's last row is one wide column named once.
func readXLSX(data []byte, sheet string) (*Table, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, fmt.Errorf("%w: не удалось открыть книгу XLSX: %v", ErrFormat, err)
	}
	if err := checkParts(zr); err != nil {
		return nil, err
	}
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{
		ShortDatePattern: "dd.mm.yyyy",
		UnzipSizeLimit:   maxXLSXUnpacked,
		// Larger parts go to temporary files and are streamed from there: a sheet is read
		// row by row, never held whole.
		UnzipXMLSizeLimit: 4 << 20,
	})
	if err != nil {
		return nil, fmt.Errorf("%w: не удалось открыть книгу XLSX: %v", ErrFormat, err)
	}
	defer f.Close()

	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, fmt.Errorf("%w: в книге нет листов", ErrFormat)
	}
	name := sheets[0]
	if sheet != "" {
		name = ""
		for _, s := range sheets {
			if normName(s) == normName(sheet) {
				name = s
				break
			}
		}
		if name == "" {
			return nil, fmt.Errorf("%w: в книге нет листа «%s»; есть: «%s»", ErrFormat, sheet, strings.Join(sheets, "», «"))
		}
	}
	grid, truncated, err := streamRows(f, name)
	if err != nil {
		return nil, err
	}
	// excelize's GetMergeCells parses the whole sheet into memory; the ranges are read
	// from the part directly instead, skipping the rows.
	merges, err := sheetMerges(zr, sheetIndex(sheets, name))
	if err != nil {
		return nil, fmt.Errorf("%w: лист «%s»: объединённые ячейки: %v", ErrFormat, name, err)
	}
	var rects []rect
	for _, m := range merges {
		from, to, _ := strings.Cut(m, ":")
		if to == "" {
			to = from
		}
		r, err := parseRect(from, to)
		if err != nil {
			return nil, fmt.Errorf("%w: лист «%s»: объединённые ячейки %s: %v", ErrFormat, name, m, err)
		}
		rects = append(rects, r)
	}
	t, err := tableFromGrid(grid, rects)
	if err == nil && truncated {
		// The rows read were cut at the limit and the header took the surplus: still too many.
		err = fmt.Errorf("%w: больше %d строк данных (строка %d и дальше); разделите файл", ErrTooManyRows, MaxRows, len(grid)+1)
	}
	return t, err
}

// maxFilledRows is where streaming a sheet stops: MaxRows data rows and room for a header
// block above them. tableFromGrid reports the row past the limit with its number.
const maxFilledRows = MaxRows + 64

// streamRows reads a sheet's rows with excelize's iterator, stopping after maxFilledRows
// rows with a filled cell (truncated is then true). Row gaps stay nil entries, so grid
// indexes are sheet rows - 1.
func streamRows(f *excelize.File, name string) (grid [][]string, truncated bool, err error) {
	rows, err := f.Rows(name)
	if err != nil {
		return nil, false, fmt.Errorf("%w: лист «%s»: %v", ErrFormat, name, err)
	}
	defer rows.Close()
	filled, cur := 0, 0
	for rows.Next() {
		cur++
		row, err := rows.Columns()
		if err != nil {
			return nil, false, fmt.Errorf("%w: лист «%s», строка %d: %v", ErrFormat, name, cur, err)
		}
		if allEmpty(row) {
			continue
		}
		if filled++; filled > maxFilledRows {
			return grid, true, nil
		}
		for len(grid) < cur-1 {
			grid = append(grid, nil)
		}
		grid = append(grid, row)
	}
	if err := rows.Error(); err != nil {
		return nil, false, fmt.Errorf("%w: лист «%s»: %v", ErrFormat, name, err)
	}
	return grid, false, nil
}

func sheetIndex(sheets []string, name string) int {
	for i, s := range sheets {
		if s == name {
			return i
		}
	}
	return 0
}

// checkParts refuses a workbook whose parts inflate beyond the limits, before excelize
// reads any of it. The sizes in the ZIP headers are checked first, then the bytes actually
// inflated, as headers can lie.
func checkParts(zr *zip.Reader) error {
	if len(zr.File) > maxXLSXParts {
		return fmt.Errorf("%w: в архиве книги больше %d частей (%d); это не таблица, которую можно прочитать", ErrUnpackedTooLarge, maxXLSXParts, len(zr.File))
	}
	var total uint64
	for _, zf := range zr.File {
		limit := partLimit(zf.Name)
		tooBig := func() error {
			return fmt.Errorf("%w: часть «%s» распаковывается больше %d МБ (допустимо: лист — %d МБ, общие строки — %d МБ, прочее — %d МБ); "+
				"в одном пакете не больше %d строк — разделите файл или сохраните его как CSV",
				ErrUnpackedTooLarge, zf.Name, limit>>20, maxXLSXSheetPart>>20, maxXLSXStringsPart>>20, maxXLSXOtherPart>>20, MaxRows)
		}
		if zf.UncompressedSize64 > uint64(limit) {
			return tooBig()
		}
		rc, err := zf.Open()
		if err != nil {
			return fmt.Errorf("%w: не удалось открыть книгу XLSX: часть «%s»: %v", ErrFormat, zf.Name, err)
		}
		n, err := io.Copy(io.Discard, io.LimitReader(rc, int64(limit)+1))
		rc.Close()
		if n > int64(limit) {
			return tooBig()
		}
		if err != nil {
			return fmt.Errorf("%w: не удалось открыть книгу XLSX: часть «%s» повреждена: %v", ErrFormat, zf.Name, err)
		}
		if total += uint64(n); total > maxXLSXUnpacked {
			return fmt.Errorf("%w: книга распаковывается больше %d МБ; в одном пакете не больше %d строк — разделите файл или сохраните его как CSV",
				ErrUnpackedTooLarge, maxXLSXUnpacked>>20, MaxRows)
		}
	}
	return nil
}

func partLimit(name string) int {
	name = strings.ToLower(strings.ReplaceAll(name, "\\", "/"))
	switch {
	case strings.HasPrefix(name, "xl/worksheets/"):
		return maxXLSXSheetPart
	case name == "xl/sharedstrings.xml":
		return maxXLSXStringsPart
	}
	return maxXLSXOtherPart
}

// maxMerges bounds the merged ranges of a sheet; a real list has a few per group of rows.
const maxMerges = 2 * MaxRows

// sheetMerges returns the refs of the merged ranges of the index-th sheet of the workbook
// (in workbook order), streaming its part so that the rows are never held.
func sheetMerges(zr *zip.Reader, index int) ([]string, error) {
	part, err := sheetPart(zr, index)
	if err != nil || part == nil {
		return nil, err
	}
	rc, err := part.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	var refs []string
	dec := xml.NewDecoder(rc)
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return refs, nil
		}
		if err != nil {
			return nil, err
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		switch se.Name.Local {
		case "sheetData":
			if err := dec.Skip(); err != nil {
				return nil, err
			}
		case "mergeCell":
			for _, a := range se.Attr {
				if a.Name.Local == "ref" {
					refs = append(refs, a.Value)
				}
			}
			if len(refs) > maxMerges {
				return nil, fmt.Errorf("больше %d объединённых диапазонов", maxMerges)
			}
		}
	}
}

// sheetPart finds the index-th sheet's part through xl/workbook.xml and its relationships.
func sheetPart(zr *zip.Reader, index int) (*zip.File, error) {
	files := map[string]*zip.File{}
	for _, zf := range zr.File {
		files[strings.ToLower(strings.TrimPrefix(strings.ReplaceAll(zf.Name, "\\", "/"), "/"))] = zf
	}
	var wb struct {
		Sheets []struct {
			Attrs []xml.Attr `xml:",any,attr"`
		} `xml:"sheets>sheet"`
	}
	var rels struct {
		Rels []struct {
			ID     string `xml:"Id,attr"`
			Target string `xml:"Target,attr"`
		} `xml:"Relationship"`
	}
	if err := decodePart(files["xl/workbook.xml"], &wb); err != nil {
		return nil, err
	}
	if err := decodePart(files["xl/_rels/workbook.xml.rels"], &rels); err != nil {
		return nil, err
	}
	if index >= len(wb.Sheets) {
		return nil, nil
	}
	id := ""
	for _, a := range wb.Sheets[index].Attrs {
		if a.Name.Local == "id" {
			id = a.Value
		}
	}
	for _, r := range rels.Rels {
		if r.ID != id {
			continue
		}
		target := r.Target
		if strings.HasPrefix(target, "/") {
			target = strings.TrimPrefix(target, "/")
		} else {
			target = path.Join("xl", target)
		}
		return files[strings.ToLower(target)], nil
	}
	return nil, nil
}

func decodePart(zf *zip.File, v any) error {
	if zf == nil {
		return nil
	}
	rc, err := zf.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	return xml.NewDecoder(rc).Decode(v)
}

// rect is a merged range, 0-based and inclusive.
type rect struct{ r1, c1, r2, c2 int }

func parseRect(from, to string) (rect, error) {
	c1, r1, err := excelize.CellNameToCoordinates(from)
	if err != nil {
		return rect{}, err
	}
	c2, r2, err := excelize.CellNameToCoordinates(to)
	if err != nil {
		return rect{}, err
	}
	return rect{min(r1, r2) - 1, min(c1, c2) - 1, max(r1, r2) - 1, max(c1, c2) - 1}, nil
}

// tableFromGrid applies the header rule to a sheet's rows (index = sheet row - 1).
func tableFromGrid(grid [][]string, merges []rect) (*Table, error) {
	b := &builder{t: &Table{Format: "xlsx"}, lenient: true}
	width := 0
	for _, row := range grid {
		width = max(width, len(row))
	}
	filled := make([]int, len(grid)) // filled cells before unmerging: a merged range counts once
	for i, row := range grid {
		for _, c := range row {
			if strings.TrimSpace(c) != "" {
				filled[i]++
			}
		}
	}
	unmerge(grid, merges, width)

	next := func(i int) int { // the first filled row at or after i
		for i < len(grid) && filled[i] == 0 {
			i++
		}
		return i
	}
	start := next(0)
	for start < len(grid) && filled[start] == 1 {
		n := next(start + 1)
		if n >= len(grid) || filled[n] <= 1 {
			break
		}
		start = n
	}
	if start >= len(grid) {
		return b.finish(), nil // empty sheet: no header, which NewPlan reports
	}

	end := start
	for grown := true; grown; {
		grown = false
		for _, m := range merges {
			if m.r1 >= start && m.r1 <= end && m.r2 > end {
				end, grown = m.r2, true
			}
		}
		if grown || end+1 >= len(grid) {
			continue
		}
		for _, m := range merges {
			if m.r2 == end && m.r1 >= start && m.c2 > m.c1 && distinct(grid[end+1], m.c1, m.c2) >= 2 {
				end, grown = end+1, true
				break
			}
		}
	}
	end = min(end, len(grid)-1)

	header := make([]string, width)
	for c := range header {
		for r := end; r >= start; r-- {
			if c < len(grid[r]) && strings.TrimSpace(grid[r][c]) != "" {
				header[c] = grid[r][c]
				break
			}
		}
	}
	// A cell merged across columns in the last header row with no sub-headers below is one
	// wide column (data merged the same way under it): it names its first position only,
	// and the positions it covers are neither duplicates nor columns without a name.
	b.covered = map[int]bool{}
	for _, m := range merges {
		if m.r1 <= end && m.r2 >= end && m.r1 >= start && m.c2 > m.c1 {
			for c := m.c1 + 1; c <= min(m.c2, width-1); c++ {
				header[c] = ""
				b.covered[c] = true
			}
		}
	}
	if err := b.setHeader(end+1, header); err != nil {
		return nil, err
	}
	for r := end + 1; r < len(grid); r++ {
		if err := b.addRow(r+1, grid[r]); err != nil {
			return nil, err
		}
	}
	return b.finish(), nil
}

// unmerge copies each merged range's top-left value into every cell it covers, clipped to
// the used area (a range over whole columns must not allocate a million rows).
func unmerge(grid [][]string, merges []rect, width int) {
	for _, m := range merges {
		if m.r1 >= len(grid) || m.c1 >= width {
			continue
		}
		v := ""
		if m.c1 < len(grid[m.r1]) {
			v = grid[m.r1][m.c1]
		}
		if v == "" {
			continue
		}
		for r := m.r1; r <= min(m.r2, len(grid)-1); r++ {
			last := min(m.c2, width-1)
			for len(grid[r]) <= last {
				grid[r] = append(grid[r], "")
			}
			for c := m.c1; c <= last; c++ {
				grid[r][c] = v
			}
		}
	}
}

// distinct counts the different filled values of row in columns c1..c2.
func distinct(row []string, c1, c2 int) int {
	seen := map[string]bool{}
	for c := c1; c <= c2 && c < len(row); c++ {
		if v := strings.TrimSpace(row[c]); v != "" {
			seen[v] = true
		}
	}
	return len(seen)
}
