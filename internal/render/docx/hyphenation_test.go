package docx

import (
	"strings"
	"testing"
)

func TestHyphenateSettings(t *testing.T) {
	const open = `<w:settings xmlns:w="` + nsW + `">`
	for _, c := range []struct{ name, in, want string }{
		{"none", "", newSettings},
		{"built-in order", open + `<w:zoom w:percent="100"/><w:defaultTabStop w:val="708"/><w:characterSpacingControl w:val="doNotCompress"/><w:compat/></w:settings>`,
			open + `<w:zoom w:percent="100"/><w:defaultTabStop w:val="708"/><w:autoHyphenation/><w:doNotHyphenateCaps/><w:characterSpacingControl w:val="doNotCompress"/><w:compat/></w:settings>`},
		{"template turned it off", open + `<w:autoHyphenation w:val="false"/><w:hyphenationZone w:val="357"/><w:doNotHyphenateCaps w:val="0"></w:doNotHyphenateCaps><w:compat/></w:settings>`,
			open + `<w:autoHyphenation/><w:hyphenationZone w:val="357"/><w:doNotHyphenateCaps/><w:compat/></w:settings>`},
		{"empty", open + `</w:settings>`, open + `<w:autoHyphenation/><w:doNotHyphenateCaps/></w:settings>`},
	} {
		t.Run(c.name, func(t *testing.T) {
			var in []byte
			if c.in != "" {
				in = []byte(c.in)
			}
			got, err := hyphenateSettings(in)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != c.want {
				t.Errorf("got\n%s\nwant\n%s", got, c.want)
			}
		})
	}
	if _, err := hyphenateSettings([]byte("<w:settings>")); err == nil {
		t.Error("a settings part without its end was accepted")
	}
}

// TestDocumentsHyphenate: every DOCX asks Word and LibreOffice to hyphenate.
func TestDocumentsHyphenate(t *testing.T) {
	for _, c := range cases {
		_, parts := unzip(t, c.render(t))
		s := string(parts["word/settings.xml"])
		if strings.Count(s, "<w:autoHyphenation/>") != 1 || strings.Count(s, "<w:doNotHyphenateCaps/>") != 1 {
			t.Errorf("%s: settings.xml does not turn hyphenation on once: %s", c.name, s)
		}
	}
}
