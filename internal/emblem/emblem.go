// Package emblem takes an organization's emblem (герб or logo) as uploaded and makes the
// clean picture both renderers draw: an opaque 8-bit PNG without metadata. Uploads are
// untrusted, so the declared size is checked before a single pixel is decoded.
package emblem

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	_ "image/jpeg" // an upload may be a JPEG
	"image/png"
)

// Limits of an upload: MaxBytes of file, MaxSide pixels a side (a 2000-pixel side is
// 3000 dpi at 17 mm, far more than print needs), MinSide so that a stray pixel is refused.
const (
	MaxBytes = 256 << 10
	MaxSide  = 2000
	MinSide  = 16
)

// ErrInvalid wraps every refusal of an upload; its text is Russian, for the person uploading.
var ErrInvalid = errors.New("эмблема")

func invalid(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, a...))
}

// Clean decodes a PNG or JPEG upload within the limits and returns it re-encoded as an
// opaque PNG: transparent parts become white paper (PDF/A-2b files are safest without soft
// masks, and a DOCX prints the same), and text chunks, EXIF, ICC profiles and gamma are
// dropped with the rest of the original file.
func Clean(data []byte) ([]byte, error) {
	if len(data) == 0 {
		return nil, invalid("файл пуст")
	}
	if len(data) > MaxBytes {
		return nil, invalid("файл %d КБ, допускается не более %d КБ", (len(data)+1023)/1024, MaxBytes/1024)
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, invalid("файл не является изображением PNG или JPEG")
	}
	if format != "png" && format != "jpeg" {
		return nil, invalid("формат %s не поддерживается, нужен PNG или JPEG", format)
	}
	if cfg.Width > MaxSide || cfg.Height > MaxSide {
		return nil, invalid("изображение %d×%d пикселей, допускается не более %d×%d", cfg.Width, cfg.Height, MaxSide, MaxSide)
	}
	if cfg.Width < MinSide || cfg.Height < MinSide {
		return nil, invalid("изображение %d×%d пикселей, нужно не менее %d×%d", cfg.Width, cfg.Height, MinSide, MinSide)
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, invalid("изображение повреждено: %v", err)
	}
	b := img.Bounds()
	out := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(out, out.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	draw.Draw(out, out.Bounds(), img, b.Min, draw.Over)
	var buf bytes.Buffer
	// An RGBA image whose every pixel is opaque is written as 8-bit RGB: no alpha channel.
	if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&buf, out); err != nil {
		return nil, fmt.Errorf("emblem: encode: %w", err)
	}
	return buf.Bytes(), nil
}

// Size returns the pixel size of a cleaned emblem.
func Size(clean []byte) (w, h int, err error) {
	cfg, err := png.DecodeConfig(bytes.NewReader(clean))
	if err != nil {
		return 0, 0, fmt.Errorf("emblem: %w", err)
	}
	return cfg.Width, cfg.Height, nil
}
