package docx

import (
	"math"

	"orders/internal/layout"
)

// body writes the blocks of a layout as WordprocessingML body content.
type body struct {
	b         []byte
	page      layout.Page
	textWidth int // twips
	size      int // half-points of the text
	small     int // half-points of tables and small blocks
	nums      *numbering
	// qr, when set, is the anchored QR-code picture still to be written: it goes into the
	// first paragraph of the body, which is always on page 1.
	qr *layout.QR
}

func halfPoints(pt float64) int { return int(math.Round(pt * 2)) }

func (w *body) s(s string) { w.b = append(w.b, s...) }
func (w *body) i(n int)    { w.b = appendInt(w.b, n) }

func (w *body) blocks(bs []layout.Block) {
	prevTable := false
	for i := range bs {
		bl := &bs[i]
		switch bl.Kind {
		case layout.TableBlock:
			if bl.Table == nil {
				continue
			}
			if bl.SpaceBefore > 0 {
				w.spacer(bl.SpaceBefore, bl.PageBreakBefore, true)
			} else if prevTable || bl.PageBreakBefore {
				// Word glues adjacent tables into one; a paragraph keeps them apart.
				w.spacer(0, bl.PageBreakBefore, true)
			}
			w.table(bl.Table)
			prevTable = true
			continue
		case layout.SignatureBlock:
			w.signature(bl)
		default:
			w.paragraph(bl)
			if bl.AtPageBottom {
				// A framed paragraph is anchored to the next paragraph of the text: this
				// empty one keeps the frame on the page where the text ends, never on the
				// page of an appendix that follows.
				w.spacer(0, false, false)
			}
		}
		prevTable = false
	}
	if prevTable {
		// Word wants a paragraph between a table and the end of the document.
		w.spacer(0, false, false)
	}
}

// pPr writes the paragraph properties shared by all kinds of blocks, children in the
// order of the schema (CT_PPrBase): Word calls a file with another order corrupt.
func (w *body) pPr(bl *layout.Block, tabs bool, size int) {
	w.s(`<w:pPr>`)
	if bl.KeepWithNext {
		w.s(`<w:keepNext/>`)
	}
	if bl.Kind == layout.SignatureBlock || bl.AtPageBottom {
		w.s(`<w:keepLines/>`)
	}
	if bl.PageBreakBefore {
		w.s(`<w:pageBreakBefore/>`)
	}
	if bl.AtPageBottom {
		// Bottom left of the text area, half its width (layout.Block.AtPageBottom); Word and
		// LibreOffice both place such a frame on the page of its anchor paragraph.
		w.s(`<w:framePr w:w="`)
		w.i(w.textWidth / 2)
		w.s(`" w:wrap="notBeside" w:vAnchor="margin" w:hAnchor="margin" w:xAlign="left" w:yAlign="bottom"/>`)
	}
	if bl.List != nil {
		id, lvl := w.nums.numID(bl.List)
		w.s(`<w:numPr><w:ilvl w:val="`)
		w.i(lvl)
		w.s(`"/><w:numId w:val="`)
		w.i(id)
		w.s(`"/></w:numPr>`)
	}
	if tabs {
		w.s(`<w:tabs><w:tab w:val="right" w:pos="`)
		w.i(w.textWidth)
		w.s(`"/></w:tabs>`)
	}
	w.s(`<w:spacing w:before="`)
	w.i(w.spaceBefore(bl.SpaceBefore, size))
	w.s(`" w:after="0" w:line="`)
	w.i(w.line())
	w.s(`" w:lineRule="auto"/>`)
	w.s(`<w:ind w:left="`)
	w.i(twips(bl.LeftIndent))
	w.s(`" w:right="0" w:firstLine="`)
	if bl.FirstIndent {
		w.i(twips(w.page.FirstIndent))
	} else {
		w.s(`0`)
	}
	w.s(`"/>`)
	w.jc(bl.Align)
	w.rPr(bl.Bold, size)
	w.s(`</w:pPr>`)
}

func (w *body) jc(a layout.Align) {
	switch a {
	case layout.Left:
		w.s(`<w:jc w:val="left"/>`)
	case layout.Center:
		w.s(`<w:jc w:val="center"/>`)
	case layout.Right:
		w.s(`<w:jc w:val="right"/>`)
	default:
		w.s(`<w:jc w:val="both"/>`)
	}
}

// rPr writes run properties in schema order (b before sz). The paragraph mark carries
// them too, because Word draws a list number with the mark's properties.
func (w *body) rPr(bold bool, size int) {
	w.s(`<w:rPr>`)
	if bold {
		w.s(`<w:b/><w:bCs/>`)
	}
	w.s(`<w:sz w:val="`)
	w.i(size)
	w.s(`"/><w:szCs w:val="`)
	w.i(size)
	w.s(`"/></w:rPr>`)
}

func (w *body) line() int {
	ls := w.page.LineSpacing
	if ls <= 0 {
		ls = 1
	}
	return int(math.Round(240 * ls))
}

// spaceBefore converts lines of a given size to twips; a line of a Times-metric font is
// 1.15 of its size at single spacing, times the document's line spacing (as in the PDF: a
// blank line of a 1.5-spaced order is 1.5 single lines).
func (w *body) spaceBefore(lines float64, size int) int {
	if lines <= 0 {
		return 0
	}
	ls := w.page.LineSpacing
	if ls <= 0 {
		ls = 1
	}
	return int(math.Round(lines * float64(size) / 2 * 1.15 * ls * 20))
}

func (w *body) sizeOf(bl *layout.Block) int {
	if bl.Small {
		return w.small
	}
	return w.size
}

func (w *body) paragraph(bl *layout.Block) {
	size := w.sizeOf(bl)
	w.s(`<w:p>`)
	w.pPr(bl, false, size)
	if w.qr != nil && !bl.AtPageBottom {
		w.qrAnchor(w.qr)
		w.qr = nil
	}
	text := bl.Text
	if bl.List == nil && bl.Label != "" {
		// Without a list the label is typed, like the number of a typed paragraph.
		text = bl.Label + " " + text
	}
	w.run(text, bl.Bold, size)
	w.s("</w:p>\n")
}

func (w *body) run(text string, bold bool, size int) {
	if text == "" {
		return
	}
	w.s(`<w:r>`)
	w.rPr(bold, size)
	w.s(`<w:t xml:space="preserve">`)
	w.b = appendText(w.b, text)
	w.s(`</w:t></w:r>`)
}

// signature puts the position lines at the left and the name on the last line at the
// right margin, by a right tab stop at the text width.
func (w *body) signature(bl *layout.Block) {
	sig := bl.Signature
	if sig == nil {
		return
	}
	w.s(`<w:p>`)
	align := *bl
	align.Align = layout.Left
	align.FirstIndent = false
	w.pPr(&align, true, w.size)
	text := ""
	for i, p := range sig.Position {
		if i > 0 {
			text += "\n"
		}
		text += p
	}
	w.run(text+"\t"+sig.Name, bl.Bold, w.size)
	w.s("</w:p>\n")
}

// spacer is an empty paragraph of exactly the given number of lines of text, standing for
// the space before a table (tables have no spacing of their own).
func (w *body) spacer(lines float64, pageBreak, keepNext bool) {
	w.s(`<w:p><w:pPr>`)
	if keepNext {
		w.s(`<w:keepNext/>`)
	}
	if pageBreak {
		w.s(`<w:pageBreakBefore/>`)
	}
	h := w.spaceBefore(lines, w.size)
	if h < 20 {
		h = 20
	}
	w.s(`<w:spacing w:before="0" w:after="0" w:line="`)
	w.i(h)
	w.s(`" w:lineRule="exact"/><w:rPr><w:sz w:val="2"/><w:szCs w:val="2"/></w:rPr></w:pPr></w:p>` + "\n")
}

// table writes a bordered table with the header row repeated on every page.
func (w *body) table(t *layout.Table) {
	cols := len(t.Header)
	for _, r := range t.Rows {
		cols = max(cols, len(r))
	}
	if cols == 0 {
		return
	}
	widths := make([]int, cols)
	rest := w.textWidth
	for i := range cols {
		f := 1 / float64(cols)
		if i < len(t.Widths) && len(t.Widths) == cols {
			f = t.Widths[i]
		}
		widths[i] = int(math.Round(f * float64(w.textWidth)))
		if i == cols-1 {
			widths[i] = rest
		}
		rest -= widths[i]
	}
	w.s(`<w:tbl><w:tblPr><w:tblW w:w="`)
	w.i(w.textWidth)
	w.s(`" w:type="dxa"/><w:tblInd w:w="0" w:type="dxa"/><w:tblBorders>`)
	for _, side := range []string{"top", "left", "bottom", "right", "insideH", "insideV"} {
		w.s(`<w:` + side + ` w:val="single" w:sz="4" w:space="0" w:color="000000"/>`)
	}
	w.s(`</w:tblBorders><w:tblLayout w:type="fixed"/><w:tblCellMar><w:top w:w="`)
	padX, padY := twips(layout.TableCellPad.X), twips(layout.TableCellPad.Y)
	w.i(padY)
	w.s(`" w:type="dxa"/><w:left w:w="`)
	w.i(padX)
	w.s(`" w:type="dxa"/><w:bottom w:w="`)
	w.i(padY)
	w.s(`" w:type="dxa"/><w:right w:w="`)
	w.i(padX)
	w.s(`" w:type="dxa"/></w:tblCellMar></w:tblPr><w:tblGrid>`)
	for _, wd := range widths {
		w.s(`<w:gridCol w:w="`)
		w.i(wd)
		w.s(`"/>`)
	}
	w.s(`</w:tblGrid>`)
	if len(t.Header) > 0 {
		w.row(t.Header, widths, true, t.NumberColumn)
	}
	for _, r := range t.Rows {
		w.row(r, widths, false, t.NumberColumn)
	}
	w.s("</w:tbl>\n")
}

func (w *body) row(cells []string, widths []int, header, numberColumn bool) {
	w.s(`<w:tr><w:trPr><w:cantSplit/>`)
	if header {
		w.s(`<w:tblHeader/>`)
	}
	w.s(`</w:trPr>`)
	for i, wd := range widths {
		text := ""
		if i < len(cells) {
			text = cells[i]
		}
		w.s(`<w:tc><w:tcPr><w:tcW w:w="`)
		w.i(wd)
		w.s(`" w:type="dxa"/>`)
		if header {
			w.s(`<w:vAlign w:val="center"/>`)
		}
		w.s(`</w:tcPr><w:p><w:pPr><w:spacing w:before="0" w:after="0" w:line="240" w:lineRule="auto"/><w:ind w:left="0" w:right="0" w:firstLine="0"/>`)
		switch {
		case header || (numberColumn && i == 0):
			w.s(`<w:jc w:val="center"/>`)
		default:
			w.s(`<w:jc w:val="left"/>`)
		}
		w.rPr(header, w.small)
		w.s(`</w:pPr>`)
		w.run(text, header, w.small)
		w.s(`</w:p></w:tc>`)
	}
	w.s("</w:tr>\n")
}

// EMU per millimetre (DrawingML lengths).
const emuPerMM = 36000

// qrAnchor writes the QR-code picture anchored at the bottom right of the text area with the
// text wrapped above and below it, as the PDF keeps the text of page 1 above the code.
func (w *body) qrAnchor(q *layout.QR) {
	size := int(math.Round(q.Size * emuPerMM))
	w.s(`<w:r><w:drawing><wp:anchor xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" distT="`)
	w.i(int(math.Round(q.Gap * emuPerMM)))
	w.s(`" distB="0" distL="0" distR="0" simplePos="0" relativeHeight="2" behindDoc="0" locked="1" layoutInCell="1" allowOverlap="0">` +
		`<wp:simplePos x="0" y="0"/><wp:positionH relativeFrom="margin"><wp:align>right</wp:align></wp:positionH>` +
		`<wp:positionV relativeFrom="margin"><wp:align>bottom</wp:align></wp:positionV><wp:extent cx="`)
	w.i(size)
	w.s(`" cy="`)
	w.i(size)
	w.s(`"/><wp:effectExtent l="0" t="0" r="0" b="0"/><wp:wrapTopAndBottom/><wp:docPr id="` + qrDocPrID + `" name="QR-код" descr="`)
	w.b = appendAttr(w.b, q.Payload)
	w.s(`"/><wp:cNvGraphicFramePr><a:graphicFrameLocks xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" noChangeAspect="1"/></wp:cNvGraphicFramePr>` +
		`<a:graphic xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/picture">` +
		`<pic:pic xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/picture"><pic:nvPicPr><pic:cNvPr id="0" name="` + qrMedia + `"/><pic:cNvPicPr/></pic:nvPicPr>` +
		`<pic:blipFill><a:blip xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" r:embed="` + qrRelID + `"/><a:stretch><a:fillRect/></a:stretch></pic:blipFill>` +
		`<pic:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="`)
	w.i(size)
	w.s(`" cy="`)
	w.i(size)
	w.s(`"/></a:xfrm><a:prstGeom prst="rect"><a:avLst/></a:prstGeom></pic:spPr></pic:pic></a:graphicData></a:graphic></wp:anchor></w:drawing></w:r>`)
}
