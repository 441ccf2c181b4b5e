package docx

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"encoding/xml"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"maps"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"orders/internal/layout"
)

// ensureRel finds the relationship of type typ in a .rels part, or adds one pointing at
// target. It returns the zip name of the related part and the (possibly new) .rels bytes.
// base is the folder of the source part ("word" for document.xml, "" for the package).
func ensureRel(rels []byte, base, typ, target, id string) (string, []byte, error) {
	if rels == nil {
		rels = []byte(xmlHeader + `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"></Relationships>`)
	}
	var doc struct {
		Rels []struct {
			ID     string `xml:"Id,attr"`
			Type   string `xml:"Type,attr"`
			Target string `xml:"Target,attr"`
			Mode   string `xml:"TargetMode,attr"`
		} `xml:"Relationship"`
	}
	if err := xml.Unmarshal(rels, &doc); err != nil {
		return "", nil, err
	}
	ids := map[string]bool{}
	for _, r := range doc.Rels {
		ids[r.ID] = true
		if r.Type == typ && r.Mode != "External" {
			return partName(base, r.Target), rels, nil
		}
	}
	for ids[id] {
		id += "x"
	}
	i := bytes.LastIndex(rels, []byte("</Relationships>"))
	if i < 0 {
		return "", nil, errors.New("no </Relationships>")
	}
	add := `<Relationship Id="` + id + `" Type="` + typ + `" Target="` + target + `"/>`
	out := append(append(append([]byte{}, rels[:i]...), add...), rels[i:]...)
	return partName(base, target), out, nil
}

// addRel adds a relationship with a fixed id to a .rels part.
func addRel(rels []byte, id, typ, target string) ([]byte, error) {
	i := bytes.LastIndex(rels, []byte("</Relationships>"))
	if i < 0 {
		return nil, errors.New("no </Relationships>")
	}
	add := `<Relationship Id="` + id + `" Type="` + typ + `" Target="` + target + `"/>`
	return append(append(append([]byte{}, rels[:i]...), add...), rels[i:]...), nil
}

// partName resolves a relationship target to a zip entry name.
func partName(base, target string) string {
	if strings.HasPrefix(target, "/") {
		return strings.TrimPrefix(target, "/")
	}
	return strings.TrimPrefix(path.Join(base, target), "/")
}

// ensureOverrides adds an <Override> for every part that has none.
func ensureOverrides(ct []byte, want map[string]string) ([]byte, error) {
	if ct == nil {
		return nil, errors.New("missing")
	}
	var doc struct {
		Overrides []struct {
			Part string `xml:"PartName,attr"`
		} `xml:"Override"`
	}
	if err := xml.Unmarshal(ct, &doc); err != nil {
		return nil, err
	}
	have := map[string]bool{}
	for _, o := range doc.Overrides {
		have[strings.ToLower(o.Part)] = true
	}
	var add []byte
	// Map order is random; the output must not be.
	for _, n := range slices.Sorted(maps.Keys(want)) {
		if have[strings.ToLower("/"+n)] {
			continue
		}
		add = fmt.Appendf(add, `<Override PartName="/%s" ContentType="%s"/>`, n, want[n])
	}
	i := bytes.LastIndex(ct, []byte("</Types>"))
	if i < 0 {
		return nil, errors.New("no </Types>")
	}
	return append(append(append([]byte{}, ct[:i]...), add...), ct[i:]...), nil
}

// splitNumbering prepares the merge of our numbering definitions into the template's:
// every abstractNum must precede every num, so ours go after its last abstractNum and
// after its last num, with identifiers above its own.
func (p *prepared) splitNumbering(data []byte) error {
	if data == nil {
		p.numHead = []byte(xmlHeader + `<w:numbering xmlns:w="` + nsW + `">`)
		p.numTail = []byte(`</w:numbering>`)
		p.absBase, p.numBase = 1, 1
		return nil
	}
	dec := xml.NewDecoder(bytes.NewReader(data))
	depth := 0
	absAt, numAt, endAt := -1, -1, -1
	for {
		off := int(dec.InputOffset())
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if depth == 0 && !declaresW(data[off:dec.InputOffset()]) {
				return fmt.Errorf("must bind the prefix w: to %s on its root", nsW)
			}
			if depth == 1 && t.Name.Space == nsW {
				switch t.Name.Local {
				case "num", "numIdMacAtCleanup":
					if absAt < 0 {
						absAt = off
					}
					if t.Name.Local == "numIdMacAtCleanup" && numAt < 0 {
						numAt = off
					}
				}
				switch t.Name.Local {
				case "abstractNum":
					p.absBase = max(p.absBase, attrInt(t, "abstractNumId")+1)
				case "num":
					p.numBase = max(p.numBase, attrInt(t, "numId")+1)
				}
			}
			depth++
		case xml.EndElement:
			depth--
			if depth == 0 {
				endAt = off
			}
		}
	}
	if endAt < 0 {
		return errors.New("no root element")
	}
	if absAt < 0 {
		absAt = endAt
	}
	if numAt < 0 {
		numAt = endAt
	}
	if data[endAt-1] == '/' || !bytes.HasPrefix(data[endAt:], []byte("</")) {
		return errors.New("write the root as <w:numbering ...></w:numbering>")
	}
	p.numHead, p.numMid, p.numTail = data[:absAt], data[absAt:numAt], data[numAt:]
	p.absBase, p.numBase = max(p.absBase, 1), max(p.numBase, 1)
	return nil
}

// Deflate writers are large (hundreds of kilobytes); reuse them across documents.
// Compression dominates the cost of a render: BestSpeed halves it, and the output of a
// text-only order grows by a few percent.
var flatePool = sync.Pool{New: func() any {
	w, _ := flate.NewWriter(nil, flate.BestSpeed)
	return w
}}

func deflate(dst *bytes.Buffer, data []byte) {
	w := flatePool.Get().(*flate.Writer)
	w.Reset(dst)
	w.Write(data)
	w.Close()
	flatePool.Put(w)
}

func deflateStatic(data []byte) ([]byte, uint32, uint64) {
	var b bytes.Buffer
	deflate(&b, data)
	return b.Bytes(), crc32.ChecksumIEEE(data), uint64(len(data))
}

// zipEpoch is the earliest time a zip entry can carry; it stands in for "no time".
var zipEpoch = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

// writeRaw adds an already deflated entry with a fixed header, so equal input gives equal bytes.
func writeRaw(zw *zip.Writer, name string, raw []byte, crc uint32, size uint64, mod time.Time) error {
	w, err := zw.CreateRaw(&zip.FileHeader{
		Name:               name,
		Method:             zip.Deflate,
		Modified:           mod,
		CRC32:              crc,
		CompressedSize64:   uint64(len(raw)),
		UncompressedSize64: size,
	})
	if err != nil {
		return err
	}
	_, err = w.Write(raw)
	return err
}

func writeDeflated(zw *zip.Writer, scratch *bytes.Buffer, name string, data []byte, mod time.Time) error {
	scratch.Reset()
	deflate(scratch, data)
	return writeRaw(zw, name, scratch.Bytes(), crc32.ChecksumIEEE(data), uint64(len(data)), mod)
}

// coreXML is docProps/core.xml from the layout's metadata.
func coreXML(b []byte, m layout.Meta, t time.Time) []byte {
	b = append(b, xmlHeader...)
	b = append(b, `<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">`...)
	el := func(name, v string) {
		if v == "" {
			return
		}
		b = append(b, '<')
		b = append(b, name...)
		b = append(b, '>')
		b = appendAttr(b, v)
		b = append(b, "</"...)
		b = append(b, name...)
		b = append(b, '>')
	}
	el("dc:title", m.Title)
	el("dc:subject", m.Subject)
	el("dc:creator", m.Author)
	el("cp:category", m.Kind)
	if m.Draft {
		el("cp:contentStatus", "Проект")
	}
	el("dc:language", "ru-RU")
	if !t.IsZero() {
		ts := t.UTC().Format(time.RFC3339)
		b = append(b, `<dcterms:created xsi:type="dcterms:W3CDTF">`+ts+`</dcterms:created>`...)
		b = append(b, `<dcterms:modified xsi:type="dcterms:W3CDTF">`+ts+`</dcterms:modified>`...)
	}
	return append(b, `</cp:coreProperties>`...)
}
