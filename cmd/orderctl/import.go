package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"mime/multipart"
	"os"
	"path/filepath"
)

// importCmd takes in an order registered elsewhere: the PDF (a scan or a PDF signed
// elsewhere) with the number and date it was given there. The service takes no number from
// a journal for it; see POST /api/v1/orders/import.
func importCmd(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	c := clientFlags(fs)
	var meta struct {
		Organization string `json:"organization,omitempty"`
		Number       string `json:"number"`
		Date         string `json:"date"`
		Kind         string `json:"kind,omitempty"`
		Title        string `json:"title"`
		Signatory    string `json:"signatory"`
		Text         string `json:"text,omitempty"`
	}
	fs.StringVar(&meta.Number, "number", "", "the number as registered, e.g. 15-к")
	fs.StringVar(&meta.Date, "date", "", "the date of registration, YYYY-MM-DD")
	fs.StringVar(&meta.Title, "title", "", "the title of the order")
	fs.StringVar(&meta.Signatory, "signatory", "", "who signed it")
	fs.StringVar(&meta.Kind, "kind", "", "приказ (default), распоряжение or решение")
	fs.StringVar(&meta.Organization, "organization", "", "the organization (with an admin token)")
	textFile := fs.String("text-file", "", "a plain-text file with the order's text, for the full-text search")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("import: name one FILE.pdf")
	}
	pdf, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		return err
	}
	if *textFile != "" {
		text, err := os.ReadFile(*textFile)
		if err != nil {
			return err
		}
		meta.Text = string(text)
	}
	metaJSON, err := json.Marshal(meta)
	if err != nil {
		return err
	}
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	if err := w.WriteField("meta", string(metaJSON)); err != nil {
		return err
	}
	part, err := w.CreateFormFile("pdf", filepath.Base(fs.Arg(0)))
	if err != nil {
		return err
	}
	part.Write(pdf)
	if err := w.Close(); err != nil {
		return err
	}
	var o struct {
		ID     string `json:"id"`
		State  string `json:"state"`
		Number string `json:"number"`
		Date   string `json:"date"`
	}
	if _, err := c.call("POST", "/api/v1/orders/import", body.Bytes(), &o, "Content-Type", w.FormDataContentType()); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "imported %s № %s от %s: %s\n", o.ID, o.Number, o.Date, o.State)
	return nil
}
