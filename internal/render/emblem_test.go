package render

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"strings"
	"testing"
)

// chunk is one PNG chunk with its CRC.
func chunk(typ string, data []byte) []byte {
	var b bytes.Buffer
	_ = binary.Write(&b, binary.BigEndian, uint32(len(data)))
	b.WriteString(typ)
	b.Write(data)
	_ = binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(append([]byte(typ), data...)))
	return b.Bytes()
}

// bomb is a valid PNG header declaring w×h pixels of RGBA (4 bytes each) with almost no data:
// decoding it whole would allocate w*h*4 bytes.
func bomb(w, h uint32) []byte {
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 6 // 8-bit RGBA
	out := []byte("\x89PNG\r\n\x1a\n")
	out = append(out, chunk("IHDR", ihdr)...)
	out = append(out, chunk("IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01})...)
	return append(out, chunk("IEND", nil)...)
}

func pngOf(t *testing.T, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// withText inserts a tEXt chunk after IHDR, as editors write metadata.
func withText(p []byte, text string) []byte {
	const ihdrEnd = 8 + 4 + 4 + 13 + 4
	out := append([]byte{}, p[:ihdrEnd]...)
	out = append(out, chunk("tEXt", []byte(text))...)
	return append(out, p[ihdrEnd:]...)
}

func TestCleanEmblemRefuses(t *testing.T) {
	small := image.NewGray(image.Rect(0, 0, 8, 8))
	for _, c := range []struct {
		name, want string
		data       []byte
	}{
		{"empty", "файл пуст", nil},
		{"too many bytes", "допускается не более 256 КБ", append(bomb(64, 64), make([]byte, MaxEmblemBytes)...)},
		{"not an image", "не является изображением PNG или JPEG", []byte("%PDF-1.7 a scan")},
		{"GIF", "формат gif не поддерживается, нужен PNG или JPEG", []byte("GIF89a\x10\x00\x10\x00\x00\x00\x00")},
		{"PNG bomb", "изображение 100000×100000 пикселей, допускается не более 2000×2000", bomb(100000, 100000)},
		{"too wide", "2001×20 пикселей", bomb(2001, 20)},
		{"too small", "нужно не менее 16×16", pngOf(t, small)},
		{"truncated", "изображение повреждено", bomb(64, 64)},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := CleanEmblem(c.data)
			if !errors.Is(err, ErrEmblem) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Clean = %d bytes, %v; want ErrEmblem with %q", len(got), err, c.want)
			}
		})
	}
}

func TestCleanEmblemMakesOpaquePNG(t *testing.T) {
	img := image.NewNRGBA(image.Rect(0, 0, 40, 20))
	for x := range 40 {
		for y := range 20 {
			img.SetNRGBA(x, y, color.NRGBA{R: 200, A: uint8(x * 6)}) // left edge fully transparent
		}
	}
	var jpg bytes.Buffer
	if err := jpeg.Encode(&jpg, img, nil); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		data []byte
	}{
		{"PNG with alpha and metadata", withText(pngOf(t, img), "Comment\x00secret author")},
		{"JPEG", jpg.Bytes()},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, err := CleanEmblem(c.data)
			if err != nil {
				t.Fatal(err)
			}
			// IHDR: bit depth 8, colour type 2 (RGB, no alpha).
			if out[24] != 8 || out[25] != 2 {
				t.Errorf("IHDR depth %d colour type %d; want 8-bit RGB", out[24], out[25])
			}
			if bytes.Contains(out, []byte("tEXt")) || bytes.Contains(out, []byte("secret")) {
				t.Error("metadata survived")
			}
			dec, err := png.Decode(bytes.NewReader(out))
			if err != nil {
				t.Fatal(err)
			}
			if r, g, b, _ := dec.At(0, 0).RGBA(); c.name != "JPEG" && (r != 0xffff || g != 0xffff || b != 0xffff) {
				t.Errorf("a transparent pixel = %x %x %x; want white paper", r, g, b)
			}
			if b := dec.Bounds(); b.Dx() != 40 || b.Dy() != 20 {
				t.Errorf("size %v, want 40×20", b)
			}
		})
	}
}
