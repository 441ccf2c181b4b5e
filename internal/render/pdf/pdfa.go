package pdf

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"orders/internal/layout"
)

// sRGB2014.icc is the ICC's sRGB profile as shipped with go-pdf/fpdf v0.12.0 (icc/);
// LICENSE.color.org allows copying and embedding it unchanged.
//
//go:embed sRGB2014.icc
var srgbProfile []byte

// iccObject is the body of the output intent's profile stream, deflated once.
var iccObject = sync.OnceValue(func() []byte {
	z := deflate(srgbProfile)
	var b bytes.Buffer
	fmt.Fprintf(&b, "<</N 3 /Length %d /Filter /FlateDecode>>\nstream\n", len(z))
	b.Write(z)
	b.WriteString("\nendstream\nendobj\n")
	return b.Bytes()
})

const outputIntent = "/OutputIntents [<</Type /OutputIntent /S /GTS_PDFA1 " +
	"/OutputConditionIdentifier (sRGB IEC61966-2.1) /RegistryName (http://www.color.org) " +
	"/Info (sRGB IEC61966-2.1) /DestOutputProfile %d 0 R>>]\n"

var (
	errLayout = errors.New("pdf: unexpected fpdf output layout")
	infoDate  = regexp.MustCompile(`(/(?:CreationDate|ModDate) \(D:\d{14})\)`)
)

// finishPDFA completes fpdf's file as PDF/A-2b. fpdf ends the file with the Info
// dictionary, the catalog, the xref table and the trailer, so most of the edit is confined
// to that tail:
//   - the header says %PDF-1.7 instead of 1.3 (same length, in place);
//   - each simple TrueType font dictionary gains /ToUnicode, the CMap toUnicode holds for
//     its encoding's /Differences (fpdf writes none for simple fonts); the objects after a
//     font move by the bytes added, and the xref table is written anew;
//   - the Info dates gain the UTC zone the XMP dates carry;
//   - the catalog gains /OutputIntents with the sRGB profile, appended as a new object,
//     and the CMaps follow it;
//   - the trailer gains /ID.
//
// fpdf's own AddOutputIntent is not used: it deflates the profile with a new zlib writer
// in every document (~1.2 MB and ~0.9 ms, over the whole budget of a render), and with
// one intent v0.12.0's trailer /Info names the profile stream instead of the Info
// dictionary. fpdf writes no /ID unless it encrypts, and PDF/A requires one.
func finishPDFA(data []byte, id string, toUnicode map[string][]byte) ([]byte, error) {
	if !bytes.HasPrefix(data, []byte("%PDF-1.")) {
		return nil, errLayout
	}
	copy(data[5:8], "1.7")

	sx := bytes.LastIndex(data, []byte("\nstartxref\n"))
	if sx < 0 {
		return nil, errLayout
	}
	xrefOff, ok := atoiLine(data[sx+len("\nstartxref\n"):])
	if !ok || xrefOff >= sx {
		return nil, errLayout
	}
	xref := data[xrefOff:sx]
	if !bytes.HasPrefix(xref, []byte("xref\n0 ")) {
		return nil, errLayout
	}
	n, ok := atoiLine(xref[len("xref\n0 "):])
	if !ok || n < 2 {
		return nil, errLayout
	}
	entriesAt := bytes.IndexByte(xref, '\n') + 1
	entriesAt += bytes.IndexByte(xref[entriesAt:], '\n') + 1
	const entryLen = 20
	if len(xref) < entriesAt+n*entryLen {
		return nil, errLayout
	}
	entries := xref[entriesAt : entriesAt+n*entryLen]
	trailer := string(xref[entriesAt+n*entryLen:])
	root, okR := trailerRef(trailer, "/Root ")
	info, okI := trailerRef(trailer, "/Info ")
	if !okR || !okI || root != n-1 || info != root-1 {
		return nil, errLayout
	}
	offsets := make([]int, n)
	for i := 1; i < n; i++ {
		if offsets[i], ok = atoiLine(entries[i*entryLen : i*entryLen+10]); !ok || offsets[i] >= xrefOff {
			return nil, errLayout
		}
	}
	catOff, infoOff := offsets[root], offsets[info]
	catHead := strconv.Itoa(root) + " 0 obj\n<<\n/Type /Catalog\n"
	infoHead := strconv.Itoa(info) + " 0 obj\n<<\n"
	if !bytes.HasPrefix(data[catOff:], []byte(catHead)) || infoOff >= catOff || !bytes.HasPrefix(data[infoOff:], []byte(infoHead)) {
		return nil, errLayout
	}

	// Objects from n on: the ICC profile, then one CMap per encoding.
	inserts, cmaps, err := toUnicodeRefs(data, offsets, n+1, toUnicode)
	if err != nil {
		return nil, err
	}
	icc := iccObject()
	out := make([]byte, 0, len(data)+len(icc)+4096)
	prev := 0
	shift := func(off int) int { // where a byte of data lands in out
		for _, in := range inserts {
			if in.at <= off {
				off += len(in.text)
			}
		}
		return off
	}
	for _, in := range inserts {
		out = append(out, data[prev:in.at]...)
		out = append(out, in.text...)
		prev = in.at
	}
	out = append(out, data[prev:infoOff]...)
	// fpdf writes Info dates without a zone; the XMP copy says UTC, so say it here too.
	newInfoOff := shift(infoOff)
	out = append(out, infoDate.ReplaceAll(data[infoOff:catOff], []byte("${1}Z00'00')"))...)
	newCatOff := len(out)
	out = append(out, catHead...)
	out = fmt.Appendf(out, outputIntent, n)
	out = append(out, data[catOff+len(catHead):xrefOff]...)
	extra := []int{len(out)}
	out = fmt.Appendf(out, "%d 0 obj\n", n)
	out = append(out, icc...)
	for i, cm := range cmaps {
		extra = append(extra, len(out))
		out = fmt.Appendf(out, "%d 0 obj\n<</Length %d>>\nstream\n", n+1+i, len(cm))
		out = append(out, cm...)
		out = append(out, "\nendstream\nendobj\n"...)
	}
	size := n + len(extra)
	newXref := len(out)
	out = fmt.Appendf(out, "xref\n0 %d\n", size)
	out = append(out, entries[:entryLen]...)
	for i := 1; i < n; i++ {
		switch i {
		case root:
			out = fmt.Appendf(out, "%010d 00000 n \n", newCatOff)
		case info:
			out = fmt.Appendf(out, "%010d 00000 n \n", newInfoOff)
		default:
			out = fmt.Appendf(out, "%010d 00000 n \n", shift(offsets[i]))
		}
	}
	for _, off := range extra {
		out = fmt.Appendf(out, "%010d 00000 n \n", off)
	}

	var idHex string
	if id == "" {
		sum := sha256.Sum256(out)
		idHex = hex.EncodeToString(sum[:16])
	} else {
		idHex = hex.EncodeToString([]byte(id))
	}
	out = fmt.Appendf(out, "trailer\n<<\n/Size %d\n/Root %d 0 R\n/Info %d 0 R\n/ID [<%s><%s>]\n>>\nstartxref\n%d\n%%%%EOF\n",
		size, root, info, idHex, idHex, newXref)
	return out, nil
}

// insertion is text put into fpdf's output before byte at.
type insertion struct {
	at   int
	text string
}

var (
	fontDictHead = []byte("<</Type /Font\n/BaseFont /")
	fontDictEnd  = []byte("\n>>\nendobj")
	encodingRef  = regexp.MustCompile(`\n/Encoding (?:(\d+) 0 R|/WinAnsiEncoding)(?:\n|$)`)
	diffHead     = []byte("<</Type /Encoding /BaseEncoding /WinAnsiEncoding /Differences [")
)

// toUnicodeRefs finds fpdf's simple TrueType font dictionaries and plans a /ToUnicode
// reference into each, to the CMap of its encoding; the CMaps become objects first,
// first+1, … in the order returned. Insertions come in file order.
func toUnicodeRefs(data []byte, offsets []int, first int, toUnicode map[string][]byte) ([]insertion, [][]byte, error) {
	var inserts []insertion
	var cmaps [][]byte
	numbers := map[string]int{}
	for i := 1; i < len(offsets); i++ {
		head := strconv.Itoa(i) + " 0 obj\n"
		obj := data[offsets[i]:]
		if !bytes.HasPrefix(obj, []byte(head)) || !bytes.HasPrefix(obj[len(head):], fontDictHead) {
			continue
		}
		end := bytes.Index(obj, fontDictEnd)
		if end < 0 {
			return nil, nil, errLayout
		}
		dict := obj[:end]
		if !bytes.Contains(dict, []byte("\n/Subtype /TrueType\n")) {
			continue
		}
		m := encodingRef.FindSubmatch(dict)
		if m == nil {
			return nil, nil, errLayout
		}
		key := ""
		if len(m[1]) > 0 {
			enc, _ := strconv.Atoi(string(m[1]))
			if enc <= 0 || enc >= len(offsets) {
				return nil, nil, errLayout
			}
			e := data[offsets[enc]:]
			at := bytes.Index(e[:min(len(e), 32+len(diffHead))], diffHead)
			if at < 0 {
				return nil, nil, errLayout
			}
			e = e[at+len(diffHead):]
			close := bytes.Index(e, []byte("]>>"))
			if close < 0 {
				return nil, nil, errLayout
			}
			key = string(e[:close])
		}
		cm, ok := toUnicode[key]
		if !ok {
			return nil, nil, fmt.Errorf("%w: no ToUnicode map for font object %d", errLayout, i)
		}
		num, seen := numbers[key]
		if !seen {
			num = first + len(cmaps)
			numbers[key] = num
			cmaps = append(cmaps, cm)
		}
		inserts = append(inserts, insertion{offsets[i] + end + 1, fmt.Sprintf("/ToUnicode %d 0 R\n", num)})
	}
	slices.SortFunc(inserts, func(a, b insertion) int { return a.at - b.at })
	return inserts, cmaps, nil
}

func atoiLine(b []byte) (int, bool) {
	end := 0
	for end < len(b) && b[end] >= '0' && b[end] <= '9' {
		end++
	}
	v, err := strconv.Atoi(string(b[:end]))
	return v, err == nil
}

func trailerRef(trailer, key string) (int, bool) {
	i := strings.Index(trailer, key)
	if i < 0 {
		return 0, false
	}
	return atoiLine([]byte(trailer[i+len(key):]))
}

// xmpPacket is the metadata stream PDF/A wants, mirroring the Info dictionary fpdf
// writes: title, author (dc:creator), subject (dc:description), tool, producer and
// dates, all in UTC (finishPDFA adds the zone to the Info dates).
func xmpPacket(m layout.Meta, t time.Time) []byte {
	var b bytes.Buffer
	esc := func(s string) {
		xml.EscapeText(&b, []byte(s))
	}
	date := t.UTC().Format("2006-01-02T15:04:05Z")
	b.WriteString("<?xpacket begin=\"\ufeff\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n" +
		"<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\n" +
		"<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n" +
		"<rdf:Description rdf:about=\"\" xmlns:pdfaid=\"http://www.aiim.org/pdfa/ns/id/\">\n" +
		"<pdfaid:part>2</pdfaid:part>\n<pdfaid:conformance>B</pdfaid:conformance>\n</rdf:Description>\n" +
		"<rdf:Description rdf:about=\"\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\">\n" +
		"<dc:format>application/pdf</dc:format>\n")
	if m.Title != "" {
		b.WriteString("<dc:title><rdf:Alt><rdf:li xml:lang=\"x-default\">")
		esc(m.Title)
		b.WriteString("</rdf:li></rdf:Alt></dc:title>\n")
	}
	if m.Author != "" {
		b.WriteString("<dc:creator><rdf:Seq><rdf:li>")
		esc(m.Author)
		b.WriteString("</rdf:li></rdf:Seq></dc:creator>\n")
	}
	if m.Subject != "" {
		b.WriteString("<dc:description><rdf:Alt><rdf:li xml:lang=\"x-default\">")
		esc(m.Subject)
		b.WriteString("</rdf:li></rdf:Alt></dc:description>\n")
	}
	b.WriteString("<dc:language><rdf:Bag><rdf:li>ru-RU</rdf:li></rdf:Bag></dc:language>\n</rdf:Description>\n" +
		"<rdf:Description rdf:about=\"\" xmlns:xmp=\"http://ns.adobe.com/xap/1.0/\">\n" +
		"<xmp:CreatorTool>" + creator + "</xmp:CreatorTool>\n" +
		"<xmp:CreateDate>" + date + "</xmp:CreateDate>\n" +
		"<xmp:ModifyDate>" + date + "</xmp:ModifyDate>\n" +
		"<xmp:MetadataDate>" + date + "</xmp:MetadataDate>\n</rdf:Description>\n" +
		"<rdf:Description rdf:about=\"\" xmlns:pdf=\"http://ns.adobe.com/pdf/1.3/\">\n" +
		"<pdf:Producer>" + producer + "</pdf:Producer>\n</rdf:Description>\n" +
		"</rdf:RDF>\n</x:xmpmeta>\n<?xpacket end=\"w\"?>")
	return b.Bytes()
}
