package records

import (
	"bytes"
	"fmt"

	"codeberg.org/go-pdf/fpdf"
	"github.com/xuri/excelize/v2"

	"orders/fonts"
)

// XLSX writes the inventory as a workbook of one sheet, as an archive's transfer list.
func (inv *Inventory) XLSX() ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "Опись"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return nil, err
	}
	set := func(cell string, v any) {
		_ = f.SetCellValue(sheet, cell, v)
	}
	set("A1", inv.Organization)
	set("A2", fmt.Sprintf("ОПИСЬ дел за %d год", inv.Year))
	bold, _ := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	wrap, _ := f.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"},
		Border: []excelize.Border{{Type: "left", Style: 1, Color: "000000"}, {Type: "right", Style: 1, Color: "000000"}, {Type: "top", Style: 1, Color: "000000"}, {Type: "bottom", Style: 1, Color: "000000"}}})
	head, _ := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Alignment: &excelize.Alignment{WrapText: true, Horizontal: "center", Vertical: "center"},
		Border: []excelize.Border{{Type: "left", Style: 1, Color: "000000"}, {Type: "right", Style: 1, Color: "000000"}, {Type: "top", Style: 1, Color: "000000"}, {Type: "bottom", Style: 1, Color: "000000"}}})
	_ = f.SetCellStyle(sheet, "A1", "A2", bold)
	for i, h := range Headers {
		cell, _ := excelize.CoordinatesToCellName(i+1, 4)
		set(cell, h)
	}
	_ = f.SetCellStyle(sheet, "A4", "G4", head)
	for r, row := range inv.Rows {
		for i, v := range row.cells() {
			cell, _ := excelize.CoordinatesToCellName(i+1, 5+r)
			switch i {
			case 0: // numbers stay numbers, so a sum in Excel works
				set(cell, row.No)
			case 4:
				set(cell, row.Count)
			default:
				set(cell, v)
			}
		}
	}
	if len(inv.Rows) > 0 {
		last, _ := excelize.CoordinatesToCellName(7, 4+len(inv.Rows))
		_ = f.SetCellStyle(sheet, "A5", last, wrap)
	}
	sum, _ := excelize.CoordinatesToCellName(1, 6+len(inv.Rows))
	set(sum, inv.Summary())
	for col, w := range map[string]float64{"A": 7, "B": 12, "C": 50, "D": 24, "E": 14, "F": 16, "G": 14} {
		_ = f.SetColWidth(sheet, col, col, w)
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// PDF writes the inventory on A4 landscape in the service's serif.
func (inv *Inventory) PDF() ([]byte, error) {
	p := fpdf.New("L", "mm", "A4", "")
	p.SetMargins(20, 15, 10)
	p.SetAutoPageBreak(true, 15)
	p.AddUTF8FontFromBytes("serif", "", fonts.SerifRegular)
	p.AddUTF8FontFromBytes("serif", "B", fonts.SerifBold)
	p.SetTitle(inv.FileName("pdf"), true)
	p.SetCreator("ordersd", true)
	widths := []float64{14, 24, 104, 44, 26, 30, 25}
	header := func() {
		p.SetFont("serif", "B", 11)
		x, y := p.GetXY()
		h := 12.0
		for i, t := range Headers {
			p.Rect(x, y, widths[i], h, "D")
			p.SetXY(x, y+1)
			p.MultiCell(widths[i], 5, t, "", "C", false)
			x += widths[i]
		}
		p.SetXY(20, y+h)
	}
	p.SetHeaderFuncMode(func() {
		if p.PageNo() > 1 {
			header()
		}
	}, true)
	p.AddPage()
	p.SetFont("serif", "B", 13)
	p.MultiCell(0, 6, inv.Organization, "", "C", false)
	p.Ln(3)
	p.CellFormat(0, 7, fmt.Sprintf("ОПИСЬ дел за %d год", inv.Year), "", 1, "C", false, 0, "")
	p.Ln(3)
	header()
	p.SetFont("serif", "", 11)
	for _, r := range inv.Rows {
		cells := r.cells()
		// Row height: the tallest wrapped cell.
		lines := 1
		for i, c := range cells {
			lines = max(lines, len(p.SplitLines([]byte(c), widths[i]-2)))
		}
		h := float64(lines)*5 + 2
		if p.GetY()+h > 210-15 {
			p.AddPage()
		}
		x, y := p.GetXY()
		for i, c := range cells {
			p.Rect(x, y, widths[i], h, "D")
			p.SetXY(x+1, y+1)
			align := "L"
			if i != 2 {
				align = "C"
			}
			p.MultiCell(widths[i]-2, 5, c, "", align, false)
			x += widths[i]
		}
		p.SetXY(20, y+h)
	}
	p.Ln(5)
	p.MultiCell(0, 6, inv.Summary(), "", "L", false)
	var b bytes.Buffer
	if err := p.Output(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
