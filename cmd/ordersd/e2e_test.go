package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"orders/internal/natsd"
)

const adminToken = "test-admin-token"

type client struct {
	t     *testing.T
	base  string
	token string
}

func (c *client) do(method, path, ctype string, body []byte, hdr ...string) (int, http.Header, []byte) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, bytes.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, data
}

func (c *client) json(method, path string, body any, want int, out any, hdr ...string) http.Header {
	c.t.Helper()
	var raw []byte
	switch b := body.(type) {
	case nil:
	case []byte:
		raw = b
	default:
		raw, _ = json.Marshal(b)
	}
	ctype := ""
	if raw != nil {
		ctype = "application/json"
	}
	code, h, data := c.do(method, path, ctype, raw, hdr...)
	if code != want {
		c.t.Fatalf("%s %s: status %d, want %d: %s", method, path, code, want, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			c.t.Fatalf("%s %s: %v: %s", method, path, err, data)
		}
	}
	return h
}

func testConfig(t *testing.T, dir string) config {
	t.Helper()
	var cfg config
	bindFlags(flagSet(), &cfg)
	cfg.DataDir = dir
	cfg.Addr = "127.0.0.1:0"
	cfg.SweepAfter = time.Hour
	cfg.AckWait = 5 * time.Second
	return cfg
}

func startService(t *testing.T, cfg config) (*service, *client) {
	t.Helper()
	t.Setenv("ORDERS_ADMIN_TOKEN", adminToken)
	if err := cfg.validate(); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	s, err := start(context.Background(), cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s, &client{t: t, base: "http://" + s.Addr(), token: adminToken}
}

func example(t *testing.T, name string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "templates", "examples", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// setupOrg stores the Balashikha letterhead as organization "balashikha" and returns a
// clerk token for it.
func setupOrg(t *testing.T, c *client, cfg config, id string) string {
	t.Helper()
	lh := example(t, "balashikha")["letterhead"]
	c.json("PUT", "/api/v1/organizations/"+id, lh, http.StatusOK, nil)
	return createToken(t, cfg, id, "clerk")
}

func createToken(t *testing.T, cfg config, org, role string) string {
	t.Helper()
	var out strings.Builder
	if err := tokenCmd([]string{"create", "--data", cfg.DataDir, "--org", org, "--role", role}, &out); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(out.String())
}

type orderResp struct {
	ID        string `json:"id"`
	Status    string `json:"status"`
	Error     string `json:"error"`
	Documents map[string]struct {
		Size   int64  `json:"size"`
		SHA256 string `json:"sha256"`
		URL    string `json:"url"`
	} `json:"documents"`
}

func waitRendered(t *testing.T, c *client, id string) orderResp {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		var o orderResp
		c.json("GET", "/api/v1/orders/"+id, nil, http.StatusOK, &o)
		switch {
		case o.Status == "rendered":
			return o
		case o.Status == "failed":
			t.Fatalf("order %s failed: %s", id, o.Error)
		case time.Now().After(deadline):
			t.Fatalf("order %s still %s", id, o.Status)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestSubmitRenderDownload(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	_, admin := startService(t, cfg)
	clerk := &client{t: t, base: admin.base, token: setupOrg(t, admin, cfg, "balashikha")}

	draft := example(t, "balashikha")
	delete(draft, "letterhead") // the stored profile supplies it
	var acc struct {
		ID, Status, Location string
		Notes                []struct{ Path, Message string }
	}
	h := clerk.json("POST", "/api/v1/orders", draft, http.StatusAccepted, &acc)
	if acc.Status != "queued" || h.Get("Location") != "/api/v1/orders/"+acc.ID {
		t.Fatalf("accepted: %+v, Location %q", acc, h.Get("Location"))
	}
	// The example carries «№ 1355 от 22.09.2022»; a draft in the service gets both only from
	// registration, and the answer says they were dropped.
	if len(acc.Notes) != 2 || acc.Notes[0].Path != "number" || !strings.Contains(acc.Notes[0].Message, "1355") || acc.Notes[1].Path != "date" {
		t.Errorf("notes: %+v", acc.Notes)
	}
	o := waitRendered(t, clerk, acc.ID)

	code, hdr, pdf := clerk.do("GET", "/api/v1/orders/"+acc.ID+"/document.pdf", "", nil)
	if code != http.StatusOK || hdr.Get("Content-Type") != "application/pdf" {
		t.Fatalf("download: %d %s", code, hdr.Get("Content-Type"))
	}
	if hdr.Get("ETag") != `"`+o.Documents["pdf"].SHA256+`"` || int64(len(pdf)) != o.Documents["pdf"].Size {
		t.Errorf("ETag %s / size %d do not match the registry %+v", hdr.Get("ETag"), len(pdf), o.Documents["pdf"])
	}
	// «Проект приказа.pdf»
	if cd := hdr.Get("Content-Disposition"); !strings.Contains(cd, "filename*=UTF-8''%D0%9F%D1%80%D0%BE%D0%B5%D0%BA%D1%82%20%D0%BF%D1%80%D0%B8%D0%BA%D0%B0%D0%B7") {
		t.Errorf("Content-Disposition %q lacks the Russian name", cd)
	}
	if code, _, _ := clerk.do("GET", "/api/v1/orders/"+acc.ID+"/document.pdf", "", nil, "If-None-Match", hdr.Get("ETag")); code != http.StatusNotModified {
		t.Errorf("If-None-Match: %d", code)
	}
	text := pdfText(t, pdf)
	for _, want := range []string{"УПРАВЛЕНИЕ ПО ОБРАЗОВАНИЮ", "П Р И К А З Ы В А Ю:", "А.Н. Зубова", "ПРОЕКТ", "№ ______"} {
		if !strings.Contains(text, want) {
			t.Errorf("PDF text lacks %q", want)
		}
	}
	for _, never := range []string{"1355", "22.09.2022"} {
		if strings.Contains(text, never) {
			t.Errorf("the draft's PDF prints %q, which no registration gave it", never)
		}
	}
	code, hdr, docx := clerk.do("GET", "/api/v1/orders/"+acc.ID+"/document.docx", "", nil)
	if code != http.StatusOK || !bytes.HasPrefix(docx, []byte("PK")) || !strings.Contains(hdr.Get("Content-Type"), "wordprocessingml") {
		t.Fatalf("docx download: %d %s", code, hdr.Get("Content-Type"))
	}
	if body := docxBody(t, docx); !strings.Contains(body, "ПРОЕКТ") || strings.Contains(body, "1355") {
		t.Errorf("the draft's DOCX does not print «ПРОЕКТ» and blanks")
	}

	// Listing finds it by a word of the title, scoped to the organization.
	var list struct {
		Orders []orderResp `json:"orders"`
	}
	clerk.json("GET", "/api/v1/orders?q=%D1%81%D1%82%D0%B0%D0%B6%D0%B8%D1%80%D0%BE%D0%B2%D0%BE%D1%87%D0%BD%D1%8B%D1%85&status=rendered", nil, http.StatusOK, &list)
	if len(list.Orders) != 1 || list.Orders[0].ID != acc.ID {
		t.Errorf("list: %+v", list.Orders)
	}

	// Rerender goes back through the queue and ends rendered with the same bytes.
	clerk.json("POST", "/api/v1/orders/"+acc.ID+"/rerender", nil, http.StatusAccepted, nil)
	o2 := waitRendered(t, clerk, acc.ID)
	if o2.Documents["pdf"].SHA256 != o.Documents["pdf"].SHA256 {
		t.Error("rerender of the same draft gave other PDF bytes")
	}
}

func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("pdftotext missing (poppler-utils)")
		}
		t.Skip("pdftotext missing")
	}
	cmd := exec.Command("pdftotext", "-layout", "-", "-")
	cmd.Stdin = bytes.NewReader(pdf)
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.ReplaceAll(string(out), "\u00a0", " ")
}

func TestIdempotency(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	_, admin := startService(t, cfg)
	clerk := &client{t: t, base: admin.base, token: setupOrg(t, admin, cfg, "balashikha")}
	draft := example(t, "balashikha")
	var a, b struct{ ID string }
	clerk.json("POST", "/api/v1/orders", draft, http.StatusAccepted, &a, "Idempotency-Key", "k1")
	h := clerk.json("POST", "/api/v1/orders", draft, http.StatusAccepted, &b, "Idempotency-Key", "k1")
	if a.ID != b.ID || h.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("same key and body gave %s and %s", a.ID, b.ID)
	}
	draft["title"] = "Другой заголовок"
	clerk.json("POST", "/api/v1/orders", draft, http.StatusConflict, nil, "Idempotency-Key", "k1")
	waitRendered(t, clerk, a.ID)
}

func TestBadInputsRecordNothing(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	cfg.MaxBody = 64 << 10
	_, admin := startService(t, cfg)
	clerk := &client{t: t, base: admin.base, token: setupOrg(t, admin, cfg, "balashikha")}
	good, _ := json.Marshal(example(t, "balashikha"))
	unknown := bytes.Replace(good, []byte(`"kind"`), []byte(`"kindd"`), 1)
	cases := []struct {
		name, ctype string
		body        []byte
		code        int
		detail      string
	}{
		{"malformed JSON", "application/json", []byte(`{"title": `), 400, "это не JSON"},
		{"invalid UTF-8", "application/json", []byte("{\"title\": \"\xc3\x28\"}"), 400, "не в кодировке UTF-8"},
		{"wrong content type", "text/plain", good, 415, "application/json"},
		{"oversized body", "application/json", bytes.Repeat([]byte(" "), 70<<10), 413, "больше допустимого"},
		{"unknown field", "application/json", unknown, 422, "kindd"},
		{"invalid draft", "application/json", []byte(`{"title":"","clauses":[{"text":""}]}`), 422, "clauses[0].text"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, hdr, body := clerk.do("POST", "/api/v1/orders", c.ctype, c.body)
			if code != c.code || hdr.Get("Content-Type") != "application/problem+json" {
				t.Fatalf("status %d (%s), want %d problem+json: %s", code, hdr.Get("Content-Type"), c.code, body)
			}
			if !strings.Contains(string(body), c.detail) {
				t.Errorf("problem lacks %q: %s", c.detail, body)
			}
		})
	}
	var list struct{ Orders []orderResp }
	clerk.json("GET", "/api/v1/orders", nil, http.StatusOK, &list)
	if len(list.Orders) != 0 {
		t.Errorf("bad inputs recorded %d orders", len(list.Orders))
	}
}

func TestAccess(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	_, admin := startService(t, cfg)
	clerkA := &client{t: t, base: admin.base, token: setupOrg(t, admin, cfg, "org-a")}
	clerkB := &client{t: t, base: admin.base, token: setupOrg(t, admin, cfg, "org-b")}
	archivist := &client{t: t, base: admin.base, token: createToken(t, cfg, "org-a", "archivist")}
	var a struct{ ID string }
	clerkA.json("POST", "/api/v1/orders", example(t, "balashikha"), http.StatusAccepted, &a)

	anon := &client{t: t, base: admin.base}
	anon.json("GET", "/api/v1/orders/"+a.ID, nil, http.StatusUnauthorized, nil)
	bad := &client{t: t, base: admin.base, token: "nope"}
	bad.json("GET", "/api/v1/orders/"+a.ID, nil, http.StatusUnauthorized, nil)
	clerkB.json("GET", "/api/v1/orders/"+a.ID, nil, http.StatusNotFound, nil)
	clerkB.json("GET", "/api/v1/orders/"+a.ID+"/document.pdf", nil, http.StatusNotFound, nil)
	clerkB.json("DELETE", "/api/v1/orders/"+a.ID, nil, http.StatusNotFound, nil)
	clerkB.json("GET", "/api/v1/organizations/org-a", nil, http.StatusNotFound, nil)
	archivist.json("GET", "/api/v1/orders/"+a.ID, nil, http.StatusOK, nil)
	archivist.json("POST", "/api/v1/orders", example(t, "balashikha"), http.StatusForbidden, nil)
	clerkA.json("PUT", "/api/v1/organizations/org-a", example(t, "balashikha")["letterhead"], http.StatusForbidden, nil)
	var list struct{ Orders []orderResp }
	clerkB.json("GET", "/api/v1/orders?organization=org-a", nil, http.StatusOK, &list)
	if len(list.Orders) != 0 {
		t.Errorf("org-b sees org-a's orders")
	}
	waitRendered(t, clerkA, a.ID)
}

// TestRestartWithQueuedJobs accepts orders while no worker runs, stops the API process,
// then starts a worker process: every accepted order must get rendered.
func TestRestartWithQueuedJobs(t *testing.T) {
	dir := t.TempDir()
	ns, err := natsd.Start(filepath.Join(dir, "nats"), natsd.WithListen("127.0.0.1:0"))
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Shutdown()

	cfg := testConfig(t, dir)
	cfg.NATSURL, cfg.Store, cfg.Role = ns.ClientURL(), "fs", "api"
	apiSvc, admin := startService(t, cfg)
	clerk := &client{t: t, base: admin.base, token: setupOrg(t, admin, cfg, "balashikha")}
	const n = 20
	ids := make([]string, n)
	for i := range ids {
		d := example(t, "balashikha")
		d["title"] = fmt.Sprintf("О заказе № %d", i+1)
		var acc struct{ ID string }
		clerk.json("POST", "/api/v1/orders", d, http.StatusAccepted, &acc)
		ids[i] = acc.ID
	}
	apiSvc.Close()

	wcfg := cfg
	wcfg.Role = "worker"
	wcfg.Addr = "127.0.0.1:0"
	startService(t, wcfg)
	cfg.Role = "api"
	_, admin2 := startService(t, cfg)
	clerk.base = admin2.base
	for _, id := range ids {
		waitRendered(t, clerk, id)
	}
}

func TestOpenAPIServed(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	_, c := startService(t, cfg)
	var spec map[string]any
	c.json("GET", "/api/v1/openapi.json", nil, http.StatusOK, &spec)
	code, _, body := c.do("GET", "/readyz", "", nil)
	if code != http.StatusOK {
		t.Fatalf("readyz %d: %s", code, body)
	}
	code, _, body = c.do("GET", "/metrics", "", nil)
	if code != http.StatusOK || !strings.Contains(string(body), "orders_queue_depth") {
		t.Fatalf("metrics %d", code)
	}
}

func flagSet() *flag.FlagSet { return flag.NewFlagSet("test", flag.ContinueOnError) }

// TestFirstStartAdminToken: a fresh installation without ORDERS_ADMIN_TOKEN writes a
// working admin token to the data directory, readable by its owner only.
func TestFirstStartAdminToken(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	t.Setenv("ORDERS_ADMIN_TOKEN", "")
	if err := cfg.validate(); err != nil {
		t.Fatal(err)
	}
	s, err := start(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	path := filepath.Join(cfg.DataDir, "admin-token")
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("admin-token mode %v, want 0600", st.Mode().Perm())
	}
	tok, _ := os.ReadFile(path)
	c := &client{t: t, base: "http://" + s.Addr(), token: strings.TrimSpace(string(tok))}
	c.json("GET", "/api/v1/organizations", nil, http.StatusOK, nil)
	// The key that seals signing keys is made once and kept from then on.
	st, err = os.Stat(filepath.Join(cfg.DataDir, "secret-key"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("secret-key: %v %v", err, st)
	}
	k1, _ := secretKey(cfg.DataDir, slog.New(slog.NewTextHandler(io.Discard, nil)))
	k2, _ := secretKey(cfg.DataDir, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if len(k1) != 32 || !bytes.Equal(k1, k2) {
		t.Error("secret key not kept across starts")
	}
}

// TestAPIRoleFreshDataDir: an API process against an external NATS server creates its data
// directory itself, and a start that fails closes cleanly instead of panicking.
func TestAPIRoleFreshDataDir(t *testing.T) {
	dir := t.TempDir()
	ns, err := natsd.Start(filepath.Join(dir, "nats"), natsd.WithListen("127.0.0.1:0"))
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Shutdown()
	cfg := testConfig(t, filepath.Join(dir, "new", "data"))
	cfg.NATSURL, cfg.Store, cfg.Role = ns.ClientURL(), "fs", "api"
	_, c := startService(t, cfg)
	c.json("GET", "/api/v1/organizations", nil, http.StatusOK, nil)

	bad := testConfig(t, dir)
	bad.DatabaseURL = "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=1"
	bad.NATSURL, bad.Store, bad.Role = ns.ClientURL(), "fs", "api"
	if err := bad.validate(); err != nil {
		t.Fatal(err)
	}
	if _, err := start(context.Background(), bad, slog.New(slog.NewTextHandler(io.Discard, nil))); err == nil {
		t.Fatal("start with an unreachable database succeeded")
	}
}

// docxBody is the text of a DOCX's word/document.xml, markup and all.
func docxBody(t *testing.T, docx []byte) string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(docx), int64(len(docx)))
	if err != nil {
		t.Fatal(err)
	}
	f, err := zr.Open("word/document.xml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
