package layout

import (
	"bytes"
	"fmt"
	"image/png"
)

// emblemHeight is the printed height of the emblem: ГОСТ Р 7.0.97 gives none, and the
// gerb of a blank is customarily 15–17 mm high; emblemMaxWidth keeps a wide logo inside a
// corner blank; emblemGap separates it from the first line of the letterhead.
const (
	emblemHeight   = 16.0
	emblemMaxWidth = 60.0
	emblemGap      = 2.0
)

func (b *builder) emblem() error {
	if len(b.d.Emblem) == 0 {
		return nil
	}
	// The service stores emblems as clean PNG (render.CleanEmblem): only the size is read here.
	cfg, err := png.DecodeConfig(bytes.NewReader(b.d.Emblem))
	if err != nil || cfg.Width <= 0 || cfg.Height <= 0 {
		return fmt.Errorf("layout: emblem: not a PNG (%v)", err)
	}
	w, h := cfg.Width, cfg.Height
	height, width := emblemHeight, emblemHeight*float64(w)/float64(h)
	if width > emblemMaxWidth {
		width, height = emblemMaxWidth, emblemMaxWidth*float64(h)/float64(w)
	}
	b.doc.Emblem = &Emblem{PNG: b.d.Emblem, Width: width, Height: height, Gap: emblemGap}
	return nil
}
