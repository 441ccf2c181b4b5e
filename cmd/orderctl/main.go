// Command orderctl is the command-line client of the order document service.
//
//	orderctl render [--out DIR] FILE.json...      render drafts offline to FILE.pdf and FILE.docx
//	orderctl submit --server URL FILE.json        submit a draft, wait, print its status
//	orderctl get --server URL [--pdf F] ID        an order's summary (--json: all of it), optionally its PDF
//	orderctl import --server URL --number N --date D --title T --signatory S FILE.pdf
//	                                              import an order registered elsewhere (paper archive)
//	orderctl bench --server URL -n N -c C         load test: submit N orders with C clients
//	orderctl batch --server URL --template T.json --data rows.xlsx
//	                                              issue a batch, show its progress, download the ZIP
//	orderctl bench-batch --server URL -n 10000    time a batch of N orders end to end
//
// The server and token may also come from ORDERS_SERVER and ORDERS_TOKEN.
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"orders/internal/layout"
	"orders/internal/order"
	"orders/internal/render"
	"orders/templates"
)

func main() {
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "render":
		err = renderCmd(os.Args[2:])
	case "submit":
		err = submitCmd(os.Args[2:])
	case "get":
		err = getCmd(os.Args[2:])
	case "import":
		err = importCmd(os.Args[2:], os.Stdout)
	case "bench":
		err = benchCmd(os.Args[2:])
	case "batch":
		err = batchCmd(os.Args[2:])
	case "bench-batch":
		err = benchBatchCmd(os.Args[2:])
	case "-h", "--help", "help":
		usage()
		return
	default:
		fmt.Fprintf(os.Stderr, "orderctl: unknown command %q\n", os.Args[1])
		usage()
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "orderctl:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprint(os.Stderr, `usage:
  orderctl render [--out DIR] FILE.json...
  orderctl submit [--server URL] [--token T] FILE.json
  orderctl get [--server URL] [--token T] [--pdf FILE] [--docx FILE] [--json] ID
  orderctl import [--server URL] [--token T] --number N --date YYYY-MM-DD --title T --signatory S
                  [--kind K] [--organization ORG] [--text-file F.txt] FILE.pdf
  orderctl bench [--server URL] [--token T] [-n N] [-c C] [--draft FILE.json]
  orderctl batch [--server URL] [--token T] (--template T.json | --template-name NAME) --data FILE
                 [--mode per_row|one_order] [--const name=value]... [--valid-only] [--sheet S]
                 [--journal J [--date YYYY-MM-DD]] [--out result.zip]
  orderctl bench-batch [--server URL] [--token T] [-n 10000] [--zip]

--server and --token default to ORDERS_SERVER (else http://localhost:8080) and ORDERS_TOKEN.
`)
}

var errBadDrafts = errors.New("some drafts have problems")

// renderCmd renders drafts offline: no server, the same layout and renderers as the workers.
func renderCmd(args []string) error {
	fs := flag.NewFlagSet("render", flag.ContinueOnError)
	out := fs.String("out", ".", "output directory")
	marginLeft := fs.Float64("margin-left", 0, "left margin in mm (default 30)")
	spacing := fs.Float64("line-spacing", 0, "line spacing (default 1.0)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return errors.New("render: name at least one FILE.json")
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	r := render.New(layout.Options{Left: *marginLeft, LineSpacing: *spacing})
	failed := false
	for _, file := range fs.Args() {
		if err := renderFile(r, file, *out); err != nil {
			failed = true
			fmt.Fprintf(os.Stderr, "%s:\n", file)
			if ps, ok := order.AsProblems(err); ok {
				for _, p := range ps {
					fmt.Fprintf(os.Stderr, "  %s\n", p)
				}
			} else {
				fmt.Fprintf(os.Stderr, "  %v\n", err)
			}
		}
	}
	if failed {
		return errBadDrafts
	}
	return nil
}

func renderFile(r *render.Renderer, file, outDir string) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	d, err := order.Decode(data)
	if err != nil {
		return err
	}
	if d.Letterhead == nil {
		return order.Problems{{Path: "letterhead", Message: "required to render offline (a stored organization needs the server)"}}
	}
	if d.Letterhead.QRCode && !d.IsDraft() {
		// Offline, the file is the registered text: the QR code carries its hash as the
		// service would carry the registry's hash of the stored draft.
		norm, err := json.Marshal(d)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(norm)
		d.Verification = &order.Verification{TextSHA256: hex.EncodeToString(sum[:])}
	}
	pdf, docx, err := r.Render(d, time.Now())
	if err != nil {
		return err
	}
	base := filepath.Join(outDir, strings.TrimSuffix(filepath.Base(file), filepath.Ext(file)))
	if err := os.WriteFile(base+".pdf", pdf, 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(base+".docx", docx, 0o644); err != nil {
		return err
	}
	fmt.Printf("%s.pdf (%d bytes), %s.docx (%d bytes)\n", base, len(pdf), base, len(docx))
	return nil
}

// balashikha is the default draft of bench: the reference order, letterhead included.
var balashikha = func() []byte {
	data, err := templates.Examples.ReadFile("examples/balashikha.json")
	if err != nil {
		panic(err)
	}
	return data
}()
