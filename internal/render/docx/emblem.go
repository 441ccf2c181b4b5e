package docx

import (
	"math"

	"orders/internal/layout"
)

// The emblem's part and relationship, added like the QR code's only to documents that
// carry the picture.
const (
	emblemMedia = "orders-emblem.png"
	emblemPart  = "word/media/" + emblemMedia
	emblemRelID = "rIdOrdersEmblem"
	// emblemDocPrID: unique among the drawings, beside qrDocPrID.
	emblemDocPrID = "7002"
)

// appendEmblem writes the emblem's paragraph: the picture inline, centred, with the gap of
// the layout below it, as the PDF draws it above the letterhead's first line.
func appendEmblem(b []byte, e *layout.Emblem) []byte {
	cx, cy := int(math.Round(e.Width*emuPerMM)), int(math.Round(e.Height*emuPerMM))
	b = append(b, `<w:p><w:pPr><w:keepNext/><w:spacing w:before="0" w:after="`...)
	b = appendInt(b, twips(e.Gap))
	b = append(b, `" w:line="240" w:lineRule="auto"/><w:jc w:val="center"/></w:pPr><w:r><w:drawing>`+
		`<wp:inline xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" distT="0" distB="0" distL="0" distR="0"><wp:extent cx="`...)
	b = appendInt(b, cx)
	b = append(b, `" cy="`...)
	b = appendInt(b, cy)
	b = append(b, `"/><wp:effectExtent l="0" t="0" r="0" b="0"/><wp:docPr id="`+emblemDocPrID+`" name="Эмблема" descr="Эмблема организации"/>`+
		`<wp:cNvGraphicFramePr><a:graphicFrameLocks xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" noChangeAspect="1"/></wp:cNvGraphicFramePr>`+
		`<a:graphic xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/picture">`+
		`<pic:pic xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/picture"><pic:nvPicPr><pic:cNvPr id="0" name="`+emblemMedia+`"/><pic:cNvPicPr/></pic:nvPicPr>`+
		`<pic:blipFill><a:blip xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" r:embed="`+emblemRelID+`"/><a:stretch><a:fillRect/></a:stretch></pic:blipFill>`+
		`<pic:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="`...)
	b = appendInt(b, cx)
	b = append(b, `" cy="`...)
	b = appendInt(b, cy)
	return append(b, `"/></a:xfrm><a:prstGeom prst="rect"><a:avLst/></a:prstGeom></pic:spPr></pic:pic></a:graphicData></a:graphic></wp:inline></w:drawing></w:r></w:p>`...)
}
