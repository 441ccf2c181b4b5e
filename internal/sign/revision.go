package sign

import (
	"bytes"
	"context"
	"errors"
	"fmt"
)

// ErrOtherDocument: a signed PDF is not the expected document signed. Its
// message (after "sign: ") is a Russian sentence for the person who
// uploaded it; test with errors.Is and read it with errors.As on
// *RevisionError.
var ErrOtherDocument = errors.New("sign: the signed file is not this document")

// RevisionError says why a signed PDF is not a signed revision of the
// original.
type RevisionError struct{ Reason string }

func (e *RevisionError) Error() string { return e.Reason }

// Unwrap makes errors.Is(err, ErrOtherDocument) true.
func (e *RevisionError) Unwrap() error { return ErrOtherDocument }

// VerifySignedRevision checks that signed is original, byte for byte,
// signed by an incremental update: original is a prefix of signed, and one
// of its signatures has a ByteRange that starts at 0 and covers at least
// all of original (so everything up to that signature's /Contents,
// original included, is what the signer signed). The signatures
// themselves are then verified as VerifyPDF does, over the whole file.
//
// Without this, any validly signed PDF — another order's — would pass as
// this order's signed original.
func (v *Verifier) VerifySignedRevision(ctx context.Context, original, signed []byte) (Result, error) {
	if len(original) == 0 {
		return Result{}, errors.New("sign: no original document to compare with")
	}
	if len(signed) <= len(original) || !bytes.Equal(signed[:len(original)], original) {
		at := 0
		for at < len(original) && at < len(signed) && signed[at] == original[at] {
			at++
		}
		return Result{}, &RevisionError{Reason: fmt.Sprintf(
			"его начало не совпадает с хранимым PDF приказа (первое отличие в байте %d из %d): подписан другой документ или другая редакция этого",
			at, len(original))}
	}
	r, err := v.VerifyPDF(ctx, signed)
	if err != nil {
		return r, err
	}
	size := int64(len(original))
	covering := false
	for _, s := range append([]Result{r}, r.Signatures...) {
		br := s.ByteRange
		if br[0] == 0 && br[1] >= size && br[2] > br[1] {
			covering = true
			break
		}
	}
	if !covering {
		return r, &RevisionError{Reason: "ни одна подпись в файле не охватывает хранимый PDF приказа целиком: подписано не то, что зарегистрировано"}
	}
	return r, nil
}
