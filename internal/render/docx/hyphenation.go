package docx

import (
	"bytes"
	"errors"
	"regexp"
)

const (
	relSettings = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/settings"
	ctSettings  = "application/vnd.openxmlformats-officedocument.wordprocessingml.settings+xml"
)

// Elements of w:settings (ECMA-376 Part 1, CT_Settings) that come after
// w:autoHyphenation, and after w:doNotHyphenateCaps, in the order the schema fixes.
var (
	afterAutoHyphenation = []string{"consecutiveHyphenLimit", "hyphenationZone", "doNotHyphenateCaps"}
	afterHyphenateCaps   = []string{"showEnvelope", "summaryLength", "clickAndTypeStyle",
		"defaultTableStyle", "evenAndOddHeaders", "bookFoldRevPrinting", "bookFoldPrinting",
		"bookFoldPrintingSheets", "drawingGridHorizontalSpacing", "drawingGridVerticalSpacing",
		"displayHorizontalDrawingGridEvery", "displayVerticalDrawingGridEvery",
		"doNotUseMarginsForDrawingGridOrigin", "drawingGridHorizontalOrigin",
		"drawingGridVerticalOrigin", "doNotShadeFormData", "noPunctuationKerning",
		"characterSpacingControl", "printTwoOnOne", "strictFirstAndLastChars", "noLineBreaksAfter",
		"noLineBreaksBefore", "savePreviewPicture", "doNotValidateAgainstSchema", "saveInvalidXml",
		"ignoreMixedContent", "alwaysShowPlaceholderText", "doNotDemarcateInvalidXml",
		"saveXmlDataOnly", "useXSLTWhenSaving", "saveThroughXslt", "showXMLTags",
		"alwaysMergeEmptyNamespace", "updateFields", "hdrShapeDefaults", "footnotePr", "endnotePr",
		"compat", "docVars", "rsids", "mathPr", "attachedSchema", "themeFontLang",
		"clrSchemeMapping", "doNotIncludeSubdocsInStats", "doNotAutoCompressPictures",
		"forceUpgrade", "captions", "readModeInkLockDown", "smartTagType", "schemaLibrary",
		"shapeDefaults", "doNotEmbedSmartTags", "decimalSymbol", "listSeparator"}
	oldHyphenation = regexp.MustCompile(`<w:(?:autoHyphenation|doNotHyphenateCaps)\b[^>]*?(?:/>|>\s*</w:(?:autoHyphenation|doNotHyphenateCaps)>)`)
)

// newSettings is the settings part of a template that has none.
const newSettings = xmlHeader + `<w:settings xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">` +
	`<w:autoHyphenation/><w:doNotHyphenateCaps/></w:settings>`

// hyphenate turns on automatic hyphenation in a document's settings, so Word and
// LibreOffice (with its Russian hyphenation dictionary) hyphenate as the PDF does: the
// paragraphs' language is ru-RU, words in capitals («МБОУ») stay whole, and the
// hyphenation zone keeps Word's 0.25 in, which the PDF's table cells use too. A template's
// own choice is replaced: both documents of an order must break alike.
func hyphenateSettings(settings []byte) ([]byte, error) {
	if settings == nil {
		return []byte(newSettings), nil
	}
	s := oldHyphenation.ReplaceAll(settings, nil)
	s, ok := insertBefore(s, afterAutoHyphenation, afterHyphenateCaps, "<w:autoHyphenation/>")
	if !ok {
		return nil, errors.New("no </w:settings>")
	}
	s, _ = insertBefore(s, afterHyphenateCaps, nil, "<w:doNotHyphenateCaps/>")
	return s, nil
}

// insertBefore puts el before the first element named in first or then, or before
// </w:settings>.
func insertBefore(s []byte, first, then []string, el string) ([]byte, bool) {
	at := -1
	for _, names := range [][]string{first, then} {
		for _, n := range names {
			for _, open := range []string{"<w:" + n + " ", "<w:" + n + "/", "<w:" + n + ">"} {
				if i := bytes.Index(s, []byte(open)); i >= 0 && (at < 0 || i < at) {
					at = i
				}
			}
		}
	}
	if at < 0 {
		if at = bytes.LastIndex(s, []byte("</w:settings>")); at < 0 {
			return s, false
		}
	}
	out := make([]byte, 0, len(s)+len(el))
	out = append(out, s[:at]...)
	out = append(out, el...)
	return append(out, s[at:]...), true
}
