// Package docx renders a laid-out order as a Word document (.docx) that a clerk can open
// and keep editing: the letterhead comes from a template with {placeholders}
// (templates/letterhead), the text is generated WordprocessingML with real Word
// numbering, so clause numbers are Word's own and renumber when someone inserts a clause.
//
// A template is analysed once (go-docx finds the placeholders, also when Word split them
// across runs) and cached; each document is then filled by byte substitution, which
// keeps a render well under a millisecond and makes go-docx's global state irrelevant to
// concurrent renders.
package docx

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"orders/internal/layout"
	"orders/templates"
)

// Options control one rendering.
type Options struct {
	// Template is a letterhead .docx (see README, «Custom DOCX letterhead templates»); nil selects the built-in
	// letterhead/centered.docx, or letterhead/corner.docx when doc.Head.Corner is set.
	Template []byte
	// Time is written to docProps/core.xml as the creation and modification time and to
	// the zip entries. The zero value writes no time, so equal input gives equal bytes.
	Time time.Time
}

// Render writes doc as a .docx file.
func Render(doc *layout.Doc, opt Options) ([]byte, error) {
	if doc == nil {
		return nil, errors.New("docx: nil document")
	}
	p, err := templateFor(doc, opt.Template)
	if err != nil {
		return nil, err
	}
	r := renderers.Get().(*renderer)
	defer renderers.Put(r)
	return r.render(p, doc, opt)
}

// CheckTemplate reports whether tmpl can serve as a letterhead template; the error wraps
// ErrTemplate and names what is wrong.
func CheckTemplate(tmpl []byte) error {
	_, err := prepare(tmpl)
	return err
}

// Built-in templates are prepared once; custom ones are cached by content.
var (
	builtinCentered = sync.OnceValues(func() (*prepared, error) { return builtin("letterhead/centered.docx") })
	builtinCorner   = sync.OnceValues(func() (*prepared, error) { return builtin("letterhead/corner.docx") })

	cacheMu sync.Mutex
	cache   = map[[sha256.Size]byte]*prepared{}
)

// maxCached bounds the cache of custom templates; a deployment has a handful.
const maxCached = 64

func builtin(name string) (*prepared, error) {
	b, err := templates.Letterhead.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("docx: built-in template: %w", err)
	}
	p, err := prepare(b)
	if p != nil {
		p.builtin = true
	}
	return p, err
}

func templateFor(doc *layout.Doc, tmpl []byte) (*prepared, error) {
	if tmpl == nil {
		if doc.Head.Corner {
			return builtinCorner()
		}
		return builtinCentered()
	}
	key := sha256.Sum256(tmpl)
	cacheMu.Lock()
	p := cache[key]
	cacheMu.Unlock()
	if p != nil {
		return p, nil
	}
	p, err := prepare(tmpl)
	if err != nil {
		return nil, err
	}
	cacheMu.Lock()
	if len(cache) >= maxCached {
		clear(cache)
	}
	cache[key] = p
	cacheMu.Unlock()
	return p, nil
}

// renderer holds the buffers of one render, reused through a pool.
type renderer struct {
	values  [][]byte // escaped field values, by index into fields
	part    []byte
	body    body
	nums    numbering
	scratch bytes.Buffer
	out     bytes.Buffer
	// emblem is the picture the document's emblem paragraph draws, nil for none.
	emblem *layout.Emblem
}

var renderers = sync.Pool{New: func() any { return &renderer{values: make([][]byte, len(fields))} }}

func (r *renderer) render(p *prepared, doc *layout.Doc, opt Options) ([]byte, error) {
	h := &doc.Head
	raw := [...]string{
		h.DraftMark,
		strings.Join(h.Parents, "\n"),
		h.Name,
		h.Subordinate,
		strings.Join(h.Contacts, "\n"),
		h.KindWord,
		h.Date,
		h.Number,
		h.Place,
	}
	for i, v := range raw {
		r.values[i] = appendText(r.values[i][:0], v)
	}

	pg := doc.Page
	if pg.FontSize <= 0 {
		pg.FontSize = layout.DefaultPage.FontSize
	}
	if pg.SmallSize <= 0 {
		pg.SmallSize = pg.FontSize
	}
	r.nums.reset(p.absBase, p.numBase)
	r.body = body{
		b:         r.body.b[:0],
		page:      pg,
		textWidth: p.pageWidth - twips(pg.Left) - twips(pg.Right),
		size:      halfPoints(pg.FontSize),
		small:     halfPoints(pg.SmallSize),
		nums:      &r.nums,
		qr:        doc.QR,
	}
	if r.body.textWidth < 1440 {
		return nil, fmt.Errorf("docx: margins %g+%g mm leave no text width on the template's page", pg.Left, pg.Right)
	}
	r.body.blocks(doc.Body)

	mod := opt.Time
	if mod.IsZero() {
		mod = zipEpoch
	}
	// A custom letterhead is a designed blank that carries its own picture, if any: the
	// emblem goes only into the built-in letterheads.
	r.emblem = nil
	pics := 0
	if doc.Emblem != nil && p.builtin {
		r.emblem = doc.Emblem
		pics |= picEmblem
	}
	if doc.QR != nil {
		pics |= picQR
	}
	r.out.Reset()
	zw := zip.NewWriter(&r.out)
	for i := range p.parts {
		pt := &p.parts[i]
		if pics != 0 && pt.with[pics] != nil {
			pt = pt.with[pics]
		}
		var err error
		switch {
		case pt.raw != nil:
			err = writeRaw(zw, pt.name, pt.raw, pt.crc, pt.size, mod)
		case pt.numbering:
			b := append(r.part[:0], p.numHead...)
			b = r.nums.appendAbstract(b)
			b = append(b, p.numMid...)
			b = r.nums.appendNums(b)
			b = append(b, p.numTail...)
			r.part = b
			err = writeDeflated(zw, &r.scratch, pt.name, b, mod)
		case pt.core:
			r.part = coreXML(r.part[:0], doc.Meta, opt.Time)
			err = writeDeflated(zw, &r.scratch, pt.name, r.part, mod)
		default:
			r.part = r.fill(r.part[:0], p, pt.segs, pg)
			err = writeDeflated(zw, &r.scratch, pt.name, r.part, mod)
		}
		if err != nil {
			return nil, fmt.Errorf("docx: %s: %w", pt.name, err)
		}
	}
	if doc.QR != nil {
		if r.body.qr != nil {
			return nil, errors.New("docx: the QR code needs a paragraph on page 1 to anchor it")
		}
		if err := writeDeflated(zw, &r.scratch, qrPart, qrPNG(doc.QR), mod); err != nil {
			return nil, fmt.Errorf("docx: %s: %w", qrPart, err)
		}
	}
	if r.emblem != nil {
		if err := writeDeflated(zw, &r.scratch, emblemPart, r.emblem.PNG, mod); err != nil {
			return nil, fmt.Errorf("docx: %s: %w", emblemPart, err)
		}
		r.emblem = nil // the pooled renderer must not keep the picture alive
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("docx: %w", err)
	}
	return bytes.Clone(r.out.Bytes()), nil
}

// fill writes a prepared part with this document's values.
func (r *renderer) fill(b []byte, p *prepared, segs []segment, pg layout.Page) []byte {
	for i := range segs {
		s := &segs[i]
		if s.lit != nil {
			b = append(b, s.lit...)
			continue
		}
		switch s.kind {
		case holeField:
			b = append(b, r.values[s.field]...)
		case holeOptPara:
			if len(r.values[s.field]) > 0 {
				b = r.fill(b, p, s.inner, pg)
			}
		case holeBody:
			b = append(b, r.body.b...)
		case holeEmblem:
			if r.emblem != nil {
				b = appendEmblem(b, r.emblem)
			}
		case holeTabPos:
			b = appendInt(b, r.body.textWidth)
		case holePgMar:
			b = append(b, `<w:pgMar w:top="`...)
			b = appendInt(b, twips(pg.Top))
			b = append(b, `" w:right="`...)
			b = appendInt(b, twips(pg.Right))
			b = append(b, `" w:bottom="`...)
			b = appendInt(b, twips(pg.Bottom))
			b = append(b, `" w:left="`...)
			b = appendInt(b, twips(pg.Left))
			b = append(b, `" w:header="`...)
			if p.builtin {
				// The page number where the PDF puts it; a custom template keeps its own header.
				b = appendInt(b, twips(pg.PageNumberTop()))
			} else {
				b = appendAttr(b, orDefault(p.headerDist, "709"))
			}
			b = append(b, `" w:footer="`...)
			b = appendAttr(b, orDefault(p.footerDist, "709"))
			b = append(b, `" w:gutter="`...)
			b = appendAttr(b, orDefault(p.gutter, "0"))
			b = append(b, `"/>`...)
		}
	}
	return b
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}
