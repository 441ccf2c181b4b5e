// Package pdf draws a laid-out order (layout.Doc) as a PDF/A-2b file that looks typed to
// ГОСТ Р 7.0.97. It owns the geometry only: line breaking, justification, pagination
// (keep-with-next, widows and orphans, tables with repeated headers, the executor mark at
// the page foot), the letterhead of page 1, page numbers from page 2, fonts, metadata.
// Words, numbers, dates and typography (no-break spaces, quotes) come from the blocks.
//
// # Lines and columns
//
// Justified paragraphs are broken as TeX breaks them: all breaks of a paragraph chosen at
// once, at spaces and at the Russian hyphenation points of internal/hyph, so that no line's
// spaces stretch beyond 2× or shrink below 0.75× where any breaking allows it. Table cells
// hyphenate within Word's hyphenation zone; headings and the letterhead only a word wider
// than its line. A table's columns are never narrower than the longest piece of their text
// that cannot be broken (FitTables hands the same widths to the DOCX).
//
// # Fonts: parsed once, subset per document without fpdf's UTF-8 path
//
// fpdf's AddUTF8FontFromBytes parses and subsets the 400 KB TTF in every document and
// deflates the subset and a 128 KB CIDToGIDMap with a new zlib writer each time (a
// writer alone costs ~1.2 MB and ~0.9 ms): measured here, ~18–22 ms and ~15.7 MB per
// two-page order with a regular and a bold face. Its parsed font lives in unexported
// fields, so it cannot be shared between documents.
//
// Instead New parses each face once (metrics, cmap, glyph offsets; read-only, shared by
// all goroutines). Per document the renderer
//   - measures and breaks lines with those metrics (the same rounded 1/1000 em widths
//     the PDF declares, so justified lines end exactly at the margin);
//   - builds a TrueType subset of the characters the document draws (our own subsetter:
//     copies glyph records, drops hinting, writes a (3,1) cmap), deflated with a pooled
//     zlib writer;
//   - registers it with fpdf.AddFontFromBytes as a simple TrueType font whose font file
//     is already compressed, with a per-document one-byte encoding: ASCII keeps its codes,
//     other characters get free codes and /Differences names from the Adobe Glyph List
//     («afii10017» for «А»), from which readers recover Unicode. Code 32 is always the
//     space, so the Tw operator justifies lines and a no-break space is never stretched.
//     A document with more than 223 distinct characters in one face gets a second
//     encoding of the same subset.
//   - gives every font a /ToUnicode CMap of its codes (finishPDFA adds it to fpdf's font
//     dictionaries), so copying, search and screen readers do not depend on glyph names.
//
// BenchmarkRenderBalashikha (2 pages, one core): ~1.1 ms, ~480 KB and ~2030 allocations
// per document, 30 KB of PDF.
//
// fpdf's page compression is off for the same reason as its font path (a new zlib writer
// per page); text in one-byte codes costs about 5 KB a page uncompressed.
//
// # PDF/A-2b
//
// fpdf writes the XMP packet we give it (linked from the catalog) and the Info
// dictionary; finishPDFA then edits only the tail of the file (see there): output intent
// with the sRGB profile, /ID, Info dates with a zone, version 1.7, and the ToUnicode
// references of the fonts (the only edit before the tail: the xref is written anew). fpdf's AddOutputIntent
// is not used: it deflates the profile per document and, with one intent, v0.12.0 points
// the trailer's /Info at the profile stream.
//
// Same document and Options.CreationDate give the same bytes: only per-document fpdf
// setters are used (never the SetDefault* globals), catalog sorting is on, and the subset
// tag and document ID are hashes of the content.
package pdf
