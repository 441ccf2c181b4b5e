package batch

import (
	"bytes"
	"fmt"
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
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{
		ShortDatePattern: "dd.mm.yyyy",
		// A 20 MB upload may not expand without bound: a zip bomb is a denial of service.
		UnzipSizeLimit:    512 << 20,
		UnzipXMLSizeLimit: 64 << 20,
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
	grid, err := f.GetRows(name)
	if err != nil {
		return nil, fmt.Errorf("%w: лист «%s»: %v", ErrFormat, name, err)
	}
	merges, err := f.GetMergeCells(name, true)
	if err != nil {
		return nil, fmt.Errorf("%w: лист «%s»: объединённые ячейки: %v", ErrFormat, name, err)
	}
	var rects []rect
	for _, m := range merges {
		r, err := parseRect(m.GetStartAxis(), m.GetEndAxis())
		if err != nil {
			return nil, fmt.Errorf("%w: лист «%s»: объединённые ячейки %s:%s: %v", ErrFormat, name, m.GetStartAxis(), m.GetEndAxis(), err)
		}
		rects = append(rects, r)
	}
	return tableFromGrid(grid, rects)
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
