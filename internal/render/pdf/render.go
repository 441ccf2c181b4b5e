package pdf

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"codeberg.org/go-pdf/fpdf"

	"orders/fonts"
	"orders/internal/layout"
)

// Creator and Producer go into the Info dictionary and the XMP packet.
const (
	creator  = "orders"
	producer = "orders PDF renderer (go-pdf/fpdf v0.12.0)"
)

// Options are per-document settings of a render.
type Options struct {
	// CreationDate is written as the creation and modification date. The same document
	// with the same CreationDate renders to identical bytes. Zero means now.
	CreationDate time.Time
	// DocumentID is the trailer /ID (both halves, as the bytes of the string); empty
	// means the first 16 bytes of the SHA-256 of the file.
	DocumentID string
}

// Fonts are the TrueType files of the four faces of one family.
type Fonts struct {
	Regular, Bold, Italic, BoldItalic []byte
}

// Renderer draws laid-out orders. It holds the parsed faces and is safe for concurrent
// use: every Render builds its own fpdf document.
type Renderer struct {
	faces [numStyles]*face
}

// New parses the fonts once; a font that cannot be used is an error here rather than a
// broken document later.
func New(f Fonts) (*Renderer, error) {
	r := &Renderer{}
	for i, data := range [numStyles][]byte{f.Regular, f.Bold, f.Italic, f.BoldItalic} {
		face, err := parseFace(data)
		if err != nil {
			return nil, fmt.Errorf("pdf: font %s: %w", styleNames[i], err)
		}
		r.faces[i] = face
	}
	return r, nil
}

var defaultRenderer = sync.OnceValues(func() (*Renderer, error) {
	return New(Fonts{fonts.SerifRegular, fonts.SerifBold, fonts.SerifItalic, fonts.SerifBoldItalic})
})

// Render draws doc with Liberation Serif from package fonts.
func Render(doc *layout.Doc, opt Options) ([]byte, error) {
	r, err := defaultRenderer()
	if err != nil {
		return nil, err
	}
	return r.Render(doc, opt)
}

// Render draws doc as a PDF/A-2b file.
func (r *Renderer) Render(doc *layout.Doc, opt Options) ([]byte, error) {
	if doc == nil {
		return nil, errors.New("pdf: nil document")
	}
	pages, err := r.compose(doc)
	if err != nil {
		return nil, err
	}
	var used [numStyles]map[rune]struct{}
	for _, ops := range pages {
		for _, o := range ops {
			if o.kind != opText {
				continue
			}
			if used[o.style] == nil {
				used[o.style] = make(map[rune]struct{}, 160)
			}
			for _, ru := range o.text {
				if ru >= ' ' {
					used[o.style][ru] = struct{}{}
				}
			}
		}
	}

	created := opt.CreationDate
	if created.IsZero() {
		created = time.Now()
	}
	created = created.UTC().Truncate(time.Second)

	pdf := newFpdf()
	pdf.SetCreationDate(created)
	pdf.SetModificationDate(created)
	pdf.SetTitle(doc.Meta.Title, true)
	pdf.SetAuthor(doc.Meta.Author, true)
	pdf.SetSubject(doc.Meta.Subject, true)
	pdf.SetCreator(creator, false)
	pdf.SetProducer(producer, false)
	pdf.SetLang("ru-RU")
	pdf.SetXmpMetadata(xmpPacket(doc.Meta, created))

	df, err := r.newDocFonts(pdf, &used)
	if err != nil {
		return nil, err
	}
	pdf.SetLineWidth(ruleWidth)
	d := drawer{pdf: pdf, df: df}
	if e := doc.Emblem; e != nil {
		// Registered once; fpdf reads the PNG's palette or RGB samples as they are (the
		// emblem package wrote it opaque, 8-bit, without interlace: no soft mask for PDF/A).
		pdf.RegisterImageOptionsReader(emblemImage, emblemOptions, bytes.NewReader(e.PNG))
		if err := pdf.Error(); err != nil {
			return nil, fmt.Errorf("pdf: emblem: %w", err)
		}
	}
	for _, ops := range pages {
		pdf.AddPage()
		d.tw = math.NaN() // Tw is page state: set it again on every page
		for i := range ops {
			d.draw(&ops[i])
		}
	}
	var buf bytes.Buffer
	buf.Grow(48 << 10)
	if err := pdf.Output(&buf); err != nil {
		return nil, fmt.Errorf("pdf: %w", err)
	}
	return finishPDFA(buf.Bytes(), opt.DocumentID, df.toUnicode())
}

func newFpdf() *fpdf.Fpdf {
	pdf := fpdf.NewCustom(&fpdf.InitType{OrientationStr: "P", UnitStr: "mm", SizeStr: "A4"})
	// fpdf deflates each page with a fresh zlib writer (~1.2 MB, ~0.9 ms apiece); page
	// text in a simple font is ~10 KB a page, cheaper to store than to compress that way.
	pdf.SetCompression(false)
	// Per-document setters only: the SetDefault* functions are package globals.
	pdf.SetCatalogSort(true)
	// Pagination is ours; fpdf must never break a page on its own.
	pdf.SetAutoPageBreak(false, 0)
	pdf.SetMargins(0, 0, 0)
	return pdf
}

// compose lays the document out: head, body rows, pages, page numbers. Nothing is
// drawn before the whole document is measured, so keep-with-next can move rows.
func (r *Renderer) compose(doc *layout.Doc) ([][]op, error) {
	page, err := pageOf(doc.Page)
	if err != nil {
		return nil, err
	}
	fl := &flow{r: r, page: page, left: page.Left, right: pageW - page.Right, top: page.Top, bottom: pageH - page.Bottom}
	fl.firstBottom = fl.bottom
	if q := doc.QR; q != nil {
		fl.firstBottom -= q.Size + q.Gap
	}
	headOps, y := fl.head(doc.Head, doc.Emblem)
	headOps = append(headOps, fl.qr(doc.QR)...)
	fl.blocks(doc.Body)
	return fl.pages(headOps, fl.paginate(y)), nil
}

// pageOf fills unset page settings with the ГОСТ defaults and rejects impossible ones.
func pageOf(p layout.Page) (layout.Page, error) {
	d := layout.DefaultPage
	for _, f := range []struct{ dst, def *float64 }{
		{&p.Top, &d.Top}, {&p.Right, &d.Right}, {&p.Bottom, &d.Bottom}, {&p.Left, &d.Left},
		{&p.FontSize, &d.FontSize}, {&p.SmallSize, &d.SmallSize}, {&p.LineSpacing, &d.LineSpacing},
	} {
		if *f.dst <= 0 || math.IsNaN(*f.dst) {
			*f.dst = *f.def
		}
	}
	if p.FirstIndent < 0 || math.IsNaN(p.FirstIndent) {
		p.FirstIndent = d.FirstIndent
	}
	if pageW-p.Left-p.Right < 50 || pageH-p.Top-p.Bottom < 80 || p.FontSize > 72 || p.SmallSize > 72 || p.LineSpacing > 5 {
		return p, errors.New("pdf: page settings leave no room for text")
	}
	return p, nil
}

// emblemImage is the name fpdf keeps the emblem under.
const emblemImage = "emblem"

var emblemOptions = fpdf.ImageOptions{ImageType: "PNG"}

type drawer struct {
	pdf    *fpdf.Fpdf
	df     *docFonts
	family string
	size   float64
	tw     float64
	runs   []run
}

func (d *drawer) draw(o *op) {
	switch o.kind {
	case opLine:
		d.pdf.Line(o.x, o.y, o.x2, o.y2)
		return
	case opRect:
		d.pdf.Rect(o.x, o.y, o.x2-o.x, o.y2-o.y, "F")
		return
	case opEmblem:
		d.pdf.ImageOptions(emblemImage, o.x, o.y, o.x2-o.x, o.y2-o.y, false, emblemOptions, 0, "")
		return
	}
	if o.text == "" {
		return
	}
	sf := d.df.styles[o.style]
	d.runs = sf.encode(o.text, d.runs)
	x := o.x
	for _, rn := range d.runs {
		p := sf.planes[rn.plane]
		if p.family != d.family || o.size != d.size {
			d.pdf.SetFont(p.family, "", o.size)
			d.family, d.size = p.family, o.size
		}
		if rn.spaces > 0 && o.tw != d.tw {
			d.pdf.SetWordSpacing(o.tw)
			d.tw = o.tw
		}
		d.pdf.Text(x, o.y, string(rn.text))
		x += mm(rn.units, o.size) + float64(rn.spaces)*o.tw
	}
}
