package render

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"orders/internal/layout"
	"orders/internal/order"
	"orders/internal/render/pdf"
)

// BenchmarkRenderBalashikha is one order to PDF and DOCX, layout included: what a worker
// spends per order.
func BenchmarkRenderBalashikha(b *testing.B) { benchRender(b, "balashikha") }

// BenchmarkRenderTable300 is an order whose appendix is a 300-row table over 15 pages (the
// results of an olympiad): the long documents a worker also meets.
func BenchmarkRenderTable300(b *testing.B) { benchRender(b, "olympiad-results") }

func benchRender(b *testing.B, name string) {
	d := examples(b)[name]
	r := New(layout.Options{})
	b.ReportAllocs()
	var size int
	for b.Loop() {
		pdf, docx, err := r.Render(d, fixed)
		if err != nil {
			b.Fatal(err)
		}
		size = len(pdf) + len(docx)
	}
	b.ReportMetric(float64(size), "bytes/order")
}

// BenchmarkRenderBalashikhaQR is the same order registered by an organization that prints
// the QR code: what encoding the code and drawing it in both formats adds.
func BenchmarkRenderBalashikhaQR(b *testing.B) {
	d := examples(b)["balashikha"]
	d.Verification = &order.Verification{TextSHA256: strings.Repeat("0123456789abcdef", 4)}
	r := New(layout.Options{})
	b.ReportAllocs()
	var size int
	cpu := processCPU(b)
	for b.Loop() {
		pdf, docx, err := r.Render(d, fixed)
		if err != nil {
			b.Fatal(err)
		}
		size = len(pdf) + len(docx)
	}
	reportCPU(b, processCPU(b)-cpu)
	b.ReportMetric(float64(size), "bytes/order")
}

// BenchmarkRenderBalashikhaEmblem is the same order of an organization with an emblem: a
// 400×500 px upload as CleanEmblem keeps it, drawn in both formats.
func BenchmarkRenderBalashikhaEmblem(b *testing.B) {
	d := examples(b)["balashikha"]
	img := image.NewNRGBA(image.Rect(0, 0, 400, 500))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 7 / 5) // a gradient, not a flat field that compresses to nothing
	}
	var up bytes.Buffer
	if err := png.Encode(&up, img); err != nil {
		b.Fatal(err)
	}
	clean, err := CleanEmblem(up.Bytes())
	if err != nil {
		b.Fatal(err)
	}
	d.Emblem = clean
	r := New(layout.Options{})
	b.ReportAllocs()
	var size int
	cpu := processCPU(b)
	for b.Loop() {
		pdf, docx, err := r.Render(d, fixed)
		if err != nil {
			b.Fatal(err)
		}
		size = len(pdf) + len(docx)
	}
	reportCPU(b, processCPU(b)-cpu)
	b.ReportMetric(float64(size), "bytes/order")
	b.ReportMetric(float64(len(clean)), "emblem-bytes")
}

// processCPU is the user and system CPU time this process has used. On a machine shared
// with other jobs, ns/op counts the waits for a CPU too; cpu-ms/op does not.
func processCPU(b testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports CPU time used over the benchmark's iterations as cpu-ms/op.
func reportCPU(b *testing.B, cpu time.Duration) {
	b.ReportMetric(float64(cpu)/float64(b.N)/1e6, "cpu-ms/op")
}

// BenchmarkLibreOfficeBalashikha converts the same order's DOCX to PDF with LibreOffice,
// which is what users of DOCX-template generators wait for; compare its ns/op with
// BenchmarkRenderBalashikha in the same run:
//
//	go test -run '^$' -bench 'RenderBalashikha|LibreOffice' -benchtime 3s ./internal/render
//
// cold starts soffice for every conversion, as a converter without a resident office does
// (the profile is made once, outside the timing); resident converts through one soffice
// that keeps running (a UNO client over a pipe, as unoserver does), so an op is the
// conversion alone.
func BenchmarkLibreOfficeBalashikha(b *testing.B) {
	soffice := tool(b, "soffice")
	d := examples(b)["balashikha"]
	_, docx, err := New(layout.Options{}).Render(d, fixed)
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	in := filepath.Join(dir, "balashikha.docx")
	if err := os.WriteFile(in, docx, 0o644); err != nil {
		b.Fatal(err)
	}
	b.Run("cold", func(b *testing.B) {
		profile := "-env:UserInstallation=file://" + filepath.Join(dir, "profile-cold")
		var cpu time.Duration
		convert := func() {
			cmd := exec.Command(soffice, "--headless", profile, "--convert-to", "pdf", "--outdir", dir, in)
			if out, err := cmd.CombinedOutput(); err != nil {
				b.Fatalf("soffice: %v\n%s", err, out)
			}
			// The launcher waits for soffice.bin, so its usage includes the office's.
			cpu += cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
		}
		convert() // the first start creates the profile
		cpu = 0
		for b.Loop() {
			convert()
		}
		reportCPU(b, cpu)
	})
	b.Run("resident", func(b *testing.B) {
		convert, officeCPU := residentOffice(b, soffice, filepath.Join(dir, "profile-resident"))
		out := filepath.Join(dir, "resident.pdf")
		convert(in, out) // the first document loads Writer and its fonts
		cpu := officeCPU()
		for b.Loop() {
			convert(in, out)
		}
		reportCPU(b, officeCPU()-cpu)
		if st, err := os.Stat(out); err != nil || st.Size() == 0 {
			b.Fatalf("no PDF from the resident office: %v", err)
		}
	})
}

// residentOffice starts soffice listening on a UNO pipe and a Python UNO client
// (testdata/uno_convert.py) connected to it; convert turns one DOCX into a PDF through them,
// cpu is the CPU time the office process (soffice.bin) has used so far (the client's small
// share is not counted). Both are stopped when b ends.
func residentOffice(b *testing.B, soffice, profile string) (convert func(src, dst string), cpu func() time.Duration) {
	py := unoPython(b)
	pipe := fmt.Sprintf("orders-bench-%d", os.Getpid())
	office := exec.Command(soffice, "--headless", "--invisible", "--nologo", "--norestore",
		"-env:UserInstallation=file://"+profile, "--accept=pipe,name="+pipe+";urp;")
	// soffice is a launcher with soffice.bin as its child: a process group stops both.
	office.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := office.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		syscall.Kill(-office.Process.Pid, syscall.SIGTERM)
		office.Wait()
	})
	client := exec.Command(py, filepath.Join("testdata", "uno_convert.py"), pipe)
	stdin, err := client.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := client.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	client.Stderr = os.Stderr
	if err := client.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		stdin.Close()
		client.Wait()
	})
	answers := bufio.NewScanner(stdout)
	if !answers.Scan() || answers.Text() != "ready" {
		b.Fatalf("UNO client did not connect: %q %v", answers.Text(), answers.Err())
	}
	convert = func(src, dst string) {
		if _, err := fmt.Fprintf(stdin, "%s\t%s\n", src, dst); err != nil {
			b.Fatal(err)
		}
		if !answers.Scan() || answers.Text() != "ok" {
			b.Fatalf("resident conversion: %q %v", answers.Text(), answers.Err())
		}
	}
	cpu = func() time.Duration {
		// soffice.bin is the launcher's child; /proc/PID/stat fields 14 and 15 are its user
		// and system time in clock ticks (100 a second on Linux).
		// The launcher starts it from one of its threads, so every thread's children are read.
		tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", office.Process.Pid))
		var kids []string
		for _, t := range tasks {
			data, _ := os.ReadFile(t)
			kids = append(kids, strings.Fields(string(data))...)
		}
		if len(kids) != 1 {
			b.Fatalf("not one soffice.bin under the launcher: %q", kids)
		}
		stat, err := os.ReadFile("/proc/" + kids[0] + "/stat")
		if err != nil {
			b.Fatal(err)
		}
		_, rest, _ := strings.Cut(string(stat), ") ") // the name may hold spaces
		f := strings.Fields(rest)                     // f[0] is field 3
		utime, err1 := strconv.Atoi(f[11])
		stime, err2 := strconv.Atoi(f[12])
		if err1 != nil || err2 != nil {
			b.Fatalf("stat of soffice.bin: %s", stat)
		}
		return time.Duration(utime+stime) * 10 * time.Millisecond
	}
	return convert, cpu
}

// unoPython is a Python that imports uno (Debian's python3-uno, for the system Python).
func unoPython(b *testing.B) string {
	for _, py := range []string{"python3", "/usr/bin/python3"} {
		if exec.Command(py, "-c", "import uno").Run() == nil {
			return py
		}
	}
	if os.Getenv("CI") != "" {
		b.Fatal("no Python with the uno module; .ci/run installs python3-uno")
	}
	b.Skip("no Python with the uno module (python3-uno)")
	return ""
}

// coldChild, when set in the environment, makes TestColdRenderChild measure instead of skip.
const coldChild = "ORDERS_COLD_RENDER_CHILD"

// coldFigures is what TestColdRenderChild measures in a fresh process.
type coldFigures struct {
	FirstBytes, FirstAllocs, FirstNs    float64
	SecondBytes, SecondAllocs, SecondNs float64
	// Steady is the mean of the renders after the second (steadyRenders of them).
	SteadyBytes, SteadyAllocs, SteadyNs float64
}

// steadyRenders is how many renders after the second TestColdRenderChild averages.
const steadyRenders = 50

// BenchmarkPDFBalashikhaCold: the PDF renderer's first render in a fresh process (fonts
// parsed, pools empty), its second, and the mean of the next steadyRenders (pools warm),
// each op a new process running TestColdRenderChild: bytes and allocations from
// runtime.MemStats, CPU time from the process's rusage. Only the custom metrics mean
// anything; ns/op is the whole process.
func BenchmarkPDFBalashikhaCold(b *testing.B) {
	var sum coldFigures
	for b.Loop() {
		cmd := exec.Command(os.Args[0], "-test.run=^TestColdRenderChild$", "-test.v")
		cmd.Env = append(os.Environ(), coldChild+"=1")
		out, err := cmd.CombinedOutput()
		if err != nil {
			b.Fatalf("child: %v\n%s", err, out)
		}
		_, line, ok := strings.Cut(string(out), "cold: ")
		if !ok {
			b.Fatalf("child said no figures:\n%s", out)
		}
		line, _, _ = strings.Cut(line, "\n")
		var f coldFigures
		if err := json.Unmarshal([]byte(line), &f); err != nil {
			b.Fatalf("child: %v: %s", err, line)
		}
		sum.FirstBytes += f.FirstBytes
		sum.FirstAllocs += f.FirstAllocs
		sum.FirstNs += f.FirstNs
		sum.SecondBytes += f.SecondBytes
		sum.SecondAllocs += f.SecondAllocs
		sum.SecondNs += f.SecondNs
		sum.SteadyBytes += f.SteadyBytes
		sum.SteadyAllocs += f.SteadyAllocs
		sum.SteadyNs += f.SteadyNs
	}
	n := float64(b.N)
	b.ReportMetric(sum.FirstNs/n/1e6, "first-cpu-ms")
	b.ReportMetric(sum.FirstBytes/n, "first-B")
	b.ReportMetric(sum.FirstAllocs/n, "first-allocs")
	b.ReportMetric(sum.SecondNs/n/1e6, "second-cpu-ms")
	b.ReportMetric(sum.SecondBytes/n, "second-B")
	b.ReportMetric(sum.SecondAllocs/n, "second-allocs")
	b.ReportMetric(sum.SteadyNs/n/1e6, "steady-cpu-ms")
	b.ReportMetric(sum.SteadyBytes/n, "steady-B")
	b.ReportMetric(sum.SteadyAllocs/n, "steady-allocs")
}

// TestColdRenderChild is BenchmarkPDFBalashikhaCold's fresh process; run alone it skips.
func TestColdRenderChild(t *testing.T) {
	if os.Getenv(coldChild) == "" {
		t.Skip("run by BenchmarkPDFBalashikhaCold")
	}
	doc, err := New(layout.Options{}).Layout(examples(t)["balashikha"])
	if err != nil {
		t.Fatal(err)
	}
	measure := func() (bytes, allocs, ns float64) {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		start := processCPU(t)
		if _, err := pdf.Render(doc, pdf.Options{CreationDate: fixed}); err != nil {
			t.Fatal(err)
		}
		ns = float64(processCPU(t) - start)
		runtime.ReadMemStats(&after)
		return float64(after.TotalAlloc - before.TotalAlloc), float64(after.Mallocs - before.Mallocs), ns
	}
	var f coldFigures
	f.FirstBytes, f.FirstAllocs, f.FirstNs = measure()
	f.SecondBytes, f.SecondAllocs, f.SecondNs = measure()
	for range steadyRenders {
		bytes, allocs, ns := measure()
		f.SteadyBytes += bytes / steadyRenders
		f.SteadyAllocs += allocs / steadyRenders
		f.SteadyNs += ns / steadyRenders
	}
	out, _ := json.Marshal(f)
	fmt.Printf("cold: %s\n", out)
}
