package render

// An organization's emblem (герб or logo) arrives as uploaded; CleanEmblem makes the clean
// picture both renderers draw: an opaque 8-bit PNG without metadata. Uploads are untrusted,
// so the declared size is checked before a single pixel is decoded.

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

// Limits of an upload: MaxEmblemBytes of file, MaxEmblemSide pixels a side (a 2000-pixel side is
// 3000 dpi at 17 mm, far more than print needs), MinEmblemSide so that a stray pixel is refused.
const (
	MaxEmblemBytes = 256 << 10
	MaxEmblemSide  = 2000
	MinEmblemSide  = 16
)

// ErrEmblem wraps every refusal of an upload; its text is Russian, for the person uploading.
var ErrEmblem = errors.New("эмблема")

func badEmblem(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrEmblem, fmt.Sprintf(format, a...))
}

// CleanEmblem decodes a PNG or JPEG upload within the limits and returns it re-encoded as an
// opaque PNG: transparent parts become white paper (PDF/A-2b files are safest without soft
// masks, and a DOCX prints the same), and text chunks, EXIF, ICC profiles and gamma are
// dropped with the rest of the original file.
func CleanEmblem(data []byte) ([]byte, error) {
	if len(data) == 0 {
		return nil, badEmblem("файл пуст")
	}
	if len(data) > MaxEmblemBytes {
		return nil, badEmblem("файл %d КБ, допускается не более %d КБ", (len(data)+1023)/1024, MaxEmblemBytes/1024)
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, badEmblem("файл не является изображением PNG или JPEG")
	}
	if format != "png" && format != "jpeg" {
		return nil, badEmblem("формат %s не поддерживается, нужен PNG или JPEG", format)
	}
	if cfg.Width > MaxEmblemSide || cfg.Height > MaxEmblemSide {
		return nil, badEmblem("изображение %d×%d пикселей, допускается не более %d×%d", cfg.Width, cfg.Height, MaxEmblemSide, MaxEmblemSide)
	}
	if cfg.Width < MinEmblemSide || cfg.Height < MinEmblemSide {
		return nil, badEmblem("изображение %d×%d пикселей, нужно не менее %d×%d", cfg.Width, cfg.Height, MinEmblemSide, MinEmblemSide)
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, badEmblem("изображение повреждено: %v", err)
	}
	b := img.Bounds()
	out := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(out, out.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	draw.Draw(out, out.Bounds(), img, b.Min, draw.Over)
	var buf bytes.Buffer
	// An RGBA image whose every pixel is opaque is written as 8-bit RGB: no alpha channel.
	if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&buf, out); err != nil {
		return nil, fmt.Errorf("render: emblem: encode: %w", err)
	}
	return buf.Bytes(), nil
}
