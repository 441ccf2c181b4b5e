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
// dictionary, the catalog, the xref table and the trailer, so the edit is confined to
// that tail and every earlier object keeps its offset:
//   - the header says %PDF-1.7 instead of 1.3 (same length, in place);
//   - the Info dates gain the UTC zone the XMP dates carry;
//   - the catalog gains /OutputIntents with the sRGB profile, appended as a new object;
//   - the xref table gains that object, and the trailer gains /ID.
//
// fpdf's own AddOutputIntent is not used: it deflates the profile with a new zlib writer
// in every document (~1.2 MB and ~0.9 ms, over the whole budget of a render), and with
// one intent v0.12.0's trailer /Info names the profile stream instead of the Info
// dictionary. fpdf writes no /ID unless it encrypts, and PDF/A requires one.
func finishPDFA(data []byte, id string) ([]byte, error) {
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
	entries := xref[entriesAt : entriesAt+n*entryLen]
	trailer := string(xref[entriesAt+n*entryLen:])
	root, okR := trailerRef(trailer, "/Root ")
	info, okI := trailerRef(trailer, "/Info ")
	if !okR || !okI || root != n-1 {
		return nil, errLayout
	}
	catOff, ok := atoiLine(entries[root*entryLen : root*entryLen+10])
	catHead := strconv.Itoa(root) + " 0 obj\n<<\n/Type /Catalog\n"
	if !ok || catOff >= xrefOff || !bytes.HasPrefix(data[catOff:], []byte(catHead)) {
		return nil, errLayout
	}

	infoOff, ok := atoiLine(entries[info*entryLen : info*entryLen+10])
	infoHead := strconv.Itoa(info) + " 0 obj\n<<\n"
	if !ok || info != root-1 || infoOff >= catOff || !bytes.HasPrefix(data[infoOff:], []byte(infoHead)) {
		return nil, errLayout
	}

	icc := iccObject()
	out := make([]byte, 0, len(data)+len(icc)+512)
	out = append(out, data[:infoOff]...)
	// fpdf writes Info dates without a zone; the XMP copy says UTC, so say it here too.
	out = append(out, infoDate.ReplaceAll(data[infoOff:catOff], []byte("${1}Z00'00')"))...)
	newCatOff := len(out)
	out = append(out, catHead...)
	out = fmt.Appendf(out, outputIntent, n)
	out = append(out, data[catOff+len(catHead):xrefOff]...)
	iccOff := len(out)
	out = fmt.Appendf(out, "%d 0 obj\n", n)
	out = append(out, icc...)
	newXref := len(out)
	out = fmt.Appendf(out, "xref\n0 %d\n", n+1)
	out = append(out, entries[:root*entryLen]...)
	out = fmt.Appendf(out, "%010d 00000 n \n", newCatOff)
	out = fmt.Appendf(out, "%010d 00000 n \n", iccOff)

	var idHex string
	if id == "" {
		sum := sha256.Sum256(out)
		idHex = hex.EncodeToString(sum[:16])
	} else {
		idHex = hex.EncodeToString([]byte(id))
	}
	out = fmt.Appendf(out, "trailer\n<<\n/Size %d\n/Root %d 0 R\n/Info %d 0 R\n/ID [<%s><%s>]\n>>\nstartxref\n%d\n%%%%EOF\n",
		n+1, root, info, idHex, idHex, newXref)
	return out, nil
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
