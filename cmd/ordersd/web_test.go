package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"image"
	"image/png"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"orders/templates"
)

// The web pages, tested the way people use them: Debian's headless Chromium driven by
// chromedp against the whole service started in-process. A failing step saves a
// screenshot and prints its path. ORDERS_WEB_SHOTS=DIR also saves every page at 1280 and
// 390 px wide, for looking at them.

const webPassword = "пароль-для-тестов"

// chromiumPath is Debian's Chromium: missing, the browser tests fail with CI=true and are
// skipped otherwise.
func chromiumPath(t *testing.T) string {
	t.Helper()
	const p = "/usr/bin/chromium"
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("chromium missing: apt-get install -y chromium (.ci/run does)")
		}
		t.Skip("chromium missing: apt-get install -y chromium")
	}
	return p
}

type browser struct {
	t     *testing.T
	ctx   context.Context
	base  string
	shots string // ORDERS_WEB_SHOTS: save pages here

	mu       sync.Mutex
	jsErrors []string // uncaught exceptions and console errors of the pages
}

func newBrowser(t *testing.T, base string) *browser {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		// Without these Chromium floods a closed network with connections it cannot make.
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	b := &browser{t: t, ctx: ctx, base: base, shots: os.Getenv("ORDERS_WEB_SHOTS")}
	// The first run starts the browser; it must not have a timeout of its own.
	if err := chromedp.Do(ctx); err != nil {
		cancel()
		cancelAlloc()
		t.Fatalf("starting chromium: %v", err)
	}
	// A page whose script throws is broken even when the step it breaks is not tested.
	if err := chromedp.Listen(ctx, func(ev any) {
		var msg string
		switch e := ev.(type) {
		case *runtime.EventExceptionThrown:
			msg = exceptionText(e.ExceptionDetails)
		case runtime.EventExceptionThrown:
			msg = exceptionText(e.ExceptionDetails)
		case *runtime.EventConsoleAPICalled:
			msg = consoleText(e.Type, e.Args)
		case runtime.EventConsoleAPICalled:
			msg = consoleText(e.Type, e.Args)
		}
		if msg != "" {
			b.mu.Lock()
			b.jsErrors = append(b.jsErrors, msg)
			b.mu.Unlock()
		}
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		b.mu.Lock()
		errs := b.jsErrors
		b.mu.Unlock()
		for _, e := range errs {
			t.Errorf("JavaScript error in the page: %s", e)
		}
		cancel()
		cancelAlloc()
	})
	return b
}

func exceptionText(d *runtime.ExceptionDetails) string {
	if d == nil {
		return "exception"
	}
	text := d.Text
	if d.Exception != nil && d.Exception.Description != "" {
		text += " " + d.Exception.Description
	}
	return fmt.Sprintf("%s (%s:%d)", text, d.URL, d.LineNumber+1)
}

func consoleText(typ runtime.ConsoleAPICalledType, args []*runtime.RemoteObject) string {
	if typ != runtime.ConsoleAPICalledTypeError {
		return ""
	}
	var parts []string
	for _, a := range args {
		if a.Description != "" {
			parts = append(parts, a.Description)
		} else {
			parts = append(parts, string(a.Value))
		}
	}
	return "console.error: " + strings.Join(parts, " ")
}

// Shorthands for the actions these tests use, all by CSS selector.
func click(sel string) chromedp.Action[chromedp.Void] { return chromedp.Click(chromedp.CSS(sel)) }
func keys(sel, v string) chromedp.Action[chromedp.Void] {
	return chromedp.SendKeys(chromedp.CSS(sel), v)
}
func setValue(sel, v string) chromedp.Action[chromedp.Void] {
	return chromedp.SetValue(chromedp.CSS(sel), v)
}
func visible(sel string) chromedp.Action[chromedp.Void] {
	return chromedp.WaitVisible(chromedp.CSS(sel))
}
func eval(expr string) chromedp.Action[chromedp.Void] { return chromedp.Evaluate[chromedp.Void](expr) }

// run runs browser actions; a failure saves a screenshot and ends the test with its path.
func (b *browser) run(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 45*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("%s: %v (screenshot: %s)", what, err, b.failShot(what))
	}
}

// get runs one action that returns a value, with the same failure handling as run.
func get[T any](b *browser, what string, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 45*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	// A page that was still replacing itself (the redirect after a login) invalidates the
	// node chromedp had found; the same query on the settled page finds it again.
	for i := 0; err != nil && strings.Contains(err.Error(), "No node with given id") && i < 3; i++ {
		time.Sleep(200 * time.Millisecond)
		v, err = chromedp.Run(ctx, a)
	}
	if err != nil {
		b.t.Fatalf("%s: %v (screenshot: %s)", what, err, b.failShot(what))
	}
	return v
}

// fail ends the test with a screenshot of the page as it is.
func (b *browser) fail(format string, args ...any) {
	b.t.Helper()
	msg := fmt.Sprintf(format, args...)
	b.t.Fatalf("%s (screenshot: %s)", msg, b.failShot(msg))
}

func (b *browser) failShot(what string) string {
	b.mu.Lock()
	for _, e := range b.jsErrors {
		b.t.Logf("JavaScript error in the page: %s", e)
	}
	b.mu.Unlock()
	dir := b.shots
	if dir == "" {
		dir = os.TempDir()
	}
	name := regexp.MustCompile(`[^a-zA-Z0-9]+`).ReplaceAllString(b.t.Name()+"-"+what, "-")
	if len(name) > 80 {
		name = name[:80]
	}
	path := filepath.Join(dir, "fail-"+name+"-"+time.Now().Format("150405")+".png")
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		return "none: " + err.Error()
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		return "none: " + err.Error()
	}
	return path
}

// shot saves the page at 1280 and 390 px when ORDERS_WEB_SHOTS is set.
func (b *browser) shot(name string) {
	b.t.Helper()
	if b.shots == "" {
		return
	}
	for _, w := range []int64{1280, 390} {
		h := int64(900)
		if w == 390 {
			h = 844
		}
		b.run("viewport for "+name, chromedp.EmulateViewport(w, h), chromedp.Sleep(400*time.Millisecond))
		png := get(b, "screenshot "+name, chromedp.FullScreenshot(100))
		webMust(b.t, os.WriteFile(filepath.Join(b.shots, fmt.Sprintf("%s-%d.png", name, w)), png, 0o644))
		// The first screen, as a person sees it before scrolling.
		b.run("top of "+name, eval(`window.scrollTo(0, 0)`))
		png = get(b, "screen of "+name, chromedp.CaptureScreenshot())
		webMust(b.t, os.WriteFile(filepath.Join(b.shots, fmt.Sprintf("%s-%d-screen.png", name, w)), png, 0o644))
	}
	b.run("viewport back", chromedp.EmulateViewport(1280, 900))
}

// checkLabels fails the test when a form control of the page has no label a screen reader
// can read: a <label>, aria-label or aria-labelledby.
func (b *browser) checkLabels(page string) {
	b.t.Helper()
	unlabelled := get(b, "labels of "+page, chromedp.Evaluate[[]string](`[...document.querySelectorAll('input, select, textarea, iframe')]
		.filter(e => e.type !== 'hidden')
		.filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.getAttribute('aria-labelledby') && !(e.tagName === 'IFRAME' && e.title))
		.map(e => e.id || e.name || e.outerHTML.slice(0, 80))`))
	if len(unlabelled) > 0 {
		b.fail("%s: fields without a label: %q", page, unlabelled)
	}
}

// axePath is axe-core's browser bundle, installed by .ci/run from npm.
func axePath() string {
	if p := os.Getenv("ORDERS_AXE"); p != "" {
		return p
	}
	return "/opt/web-judges/node_modules/axe-core/axe.min.js"
}

// axe runs axe-core in the page and fails the test on a serious or critical violation of
// WCAG 2.1 A/AA; lesser ones are logged. Without axe-core the check fails with CI=true and
// is skipped otherwise.
func (b *browser) axe(page string) {
	b.t.Helper()
	src, err := os.ReadFile(axePath())
	if err != nil {
		if os.Getenv("CI") != "" {
			b.t.Fatalf("axe-core missing (%v): .ci/run installs it", err)
		}
		b.t.Logf("axe-core missing, accessibility not checked: %v", err)
		return
	}
	type node struct {
		Target []any  `json:"target"`
		HTML   string `json:"html"`
	}
	type violation struct {
		ID     string `json:"id"`
		Impact string `json:"impact"`
		Help   string `json:"help"`
		Nodes  []node `json:"nodes"`
	}
	// The pages mark wide tables as scrollable regions 100 ms after the page changes; a table
	// drawn just now is marked first, as a person would meet it.
	b.run("axe-core into "+page, eval(`window.Orders && window.Orders.markScrollables && window.Orders.markScrollables()`), eval(string(src)))
	found := get(b, "axe-core in "+page, chromedp.Evaluate[[]violation](
		`axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}}).then(r => r.violations)`,
		chromedp.EvalAwaitPromise))
	var serious []string
	for _, v := range found {
		var where []string
		for _, n := range v.Nodes {
			where = append(where, fmt.Sprint(n.Target))
		}
		line := fmt.Sprintf("%s (%s): %s — %s", v.ID, v.Impact, v.Help, strings.Join(where, ", "))
		if v.Impact == "serious" || v.Impact == "critical" {
			serious = append(serious, line)
		} else {
			b.t.Logf("%s: axe-core, %s", page, line)
		}
	}
	if len(serious) > 0 {
		b.fail("%s: accessibility violations:\n%s", page, strings.Join(serious, "\n"))
	}
}

// shotElem saves one part of the page at both widths when ORDERS_WEB_SHOTS is set.
func (b *browser) shotElem(name, sel string) {
	b.t.Helper()
	if b.shots == "" {
		return
	}
	for _, w := range []int64{1280, 390} {
		b.run("viewport for "+name, chromedp.EmulateViewport(w, 900), chromedp.Sleep(300*time.Millisecond))
		png := get(b, "screenshot "+name, chromedp.Screenshot(chromedp.CSS(sel)))
		webMust(b.t, os.WriteFile(filepath.Join(b.shots, fmt.Sprintf("%s-%d.png", name, w)), png, 0o644))
	}
	b.run("viewport back", chromedp.EmulateViewport(1280, 900))
}

func (b *browser) login(login string) {
	b.t.Helper()
	b.run("login page", chromedp.Navigate(b.base+"/login"))
	b.submitLogin(login)
}

// submitLogin fills the login form of the page the browser is on.
func (b *browser) submitLogin(login string) {
	b.t.Helper()
	b.run("login as "+login,
		visible(`#login`),
		setValue(`#login`, login),
		setValue(`#password`, webPassword),
		click(`#login-submit`),
		visible(`[data-testid="user"]`))
}

func (b *browser) logout() {
	b.t.Helper()
	b.run("logout", click(`form.logout button`), visible(`#login`))
}

// text is the visible text of the first element matching sel.
func (b *browser) text(sel string) string {
	b.t.Helper()
	return get(b, "text of "+sel, chromedp.Text(chromedp.CSS(sel), chromedp.NodeVisible))
}

func (b *browser) value(sel string) string {
	b.t.Helper()
	return get(b, "value of "+sel, chromedp.Value(chromedp.CSS(sel)))
}

func (b *browser) attr(sel, name string) string {
	b.t.Helper()
	return get(b, "attribute "+name+" of "+sel, chromedp.AttributeValue(chromedp.CSS(sel), name)).Value
}

func (b *browser) location() string {
	b.t.Helper()
	return get(b, "location", chromedp.Location())
}

// waitJS polls a JavaScript condition until it is true.
func (b *browser) waitJS(what, cond string, timeout time.Duration) {
	b.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if get(b, what, chromedp.Evaluate[bool](cond)) {
			return
		}
		if time.Now().After(deadline) {
			b.fail("%s: still false after %s: %s", what, timeout, cond)
		}
		time.Sleep(150 * time.Millisecond)
	}
}

// httpClient is a Go client holding the browser's cookies, to download what a link points
// at and check its bytes.
func (b *browser) httpClient() *http.Client {
	b.t.Helper()
	res, err := chromedp.Call(b.ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{b.base}})
	if err != nil {
		b.t.Fatalf("cookies: %v", err)
	}
	jar, _ := cookiejar.New(nil)
	u, _ := url.Parse(b.base)
	var hc []*http.Cookie
	for _, c := range res.Cookies {
		hc = append(hc, &http.Cookie{Name: c.Name, Value: c.Value, Path: c.Path})
	}
	jar.SetCookies(u, hc)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func addUser(t *testing.T, cfg config, login, role, org, name string) {
	t.Helper()
	var out bytes.Buffer
	args := []string{"add", "--data", cfg.DataDir, "--login", login, "--role", role, "--name", name}
	if org != "" {
		args = append(args, "--org", org)
	}
	if err := userCmd(args, strings.NewReader(webPassword+"\n"), &out); err != nil {
		t.Fatalf("user add %s: %v", login, err)
	}
}

type webSetup struct {
	cfg     config
	base    string
	admin   *client
	journal string
}

// startWeb starts the service with two organizations and their users: clerk, head and
// archivist of «balashikha», a clerk of «chebula».
func startWeb(t *testing.T) *webSetup {
	t.Helper()
	cfg := testConfig(t, t.TempDir())
	_, admin := startService(t, cfg)
	admin.json("PUT", "/api/v1/organizations/balashikha", example(t, "balashikha")["letterhead"], http.StatusOK, nil)
	admin.json("PUT", "/api/v1/organizations/chebula", example(t, "chebula")["letterhead"], http.StatusOK, nil)
	admin.json("PUT", "/api/v1/organizations/balashikha/signing", map[string]any{"data": testCertificate(t)}, http.StatusOK, nil)
	admin.json("PUT", "/api/v1/journals/main?organization=balashikha", map[string]any{"name": "по основной деятельности", "format": "{seq}-о"}, http.StatusOK, nil)
	addUser(t, cfg, "ivanova", "clerk", "balashikha", "Иванова И.И.")
	addUser(t, cfg, "zubova", "head", "balashikha", "Зубова А.Н.")
	addUser(t, cfg, "petrova", "archivist", "balashikha", "Петрова П.П.")
	addUser(t, cfg, "guseva", "clerk", "chebula", "Гусева И.Г.")
	addUser(t, cfg, "admin", "admin", "", "")
	return &webSetup{cfg: cfg, base: admin.base, admin: admin, journal: "main"}
}

// TestWebNoPageWithoutLogin: every page sends a browser without a session to /login, and
// comes back after login.
func TestWebNoPageWithoutLogin(t *testing.T) {
	w := startWeb(t)
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, p := range []string{"/", "/orders", "/orders/new", "/archive", "/batches", "/templates", "/templates/platforms-yearly",
		"/orders/0193a3b4-0000-7000-8000-000000000000", "/orders/0193a3b4-0000-7000-8000-000000000000/edit"} {
		resp, err := hc.Get(w.base + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/login") {
			t.Errorf("GET %s without login: %d Location %q, want 303 to /login", p, resp.StatusCode, loc)
		}
	}
	// The API refuses a request without token or session.
	resp, err := hc.Get(w.base + "/api/v1/orders")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("API without credentials: %d", resp.StatusCode)
	}

	b := newBrowser(t, w.base)
	b.run("open the archive", chromedp.Navigate(w.base+"/archive"), visible(`#login`))
	if loc := b.location(); !strings.Contains(loc, "/login?next=%2Farchive") {
		b.fail("archive without login went to %s", loc)
	}
	b.shot("login")
	b.checkLabels("login")
	b.axe("login")
	b.submitLogin("petrova")
	if loc := b.location(); !strings.HasSuffix(loc, "/archive") {
		b.fail("after login: %s, want the archive", loc)
	}
	if who := b.text(".who"); !strings.Contains(who, "Петрова П.П.") || !strings.Contains(who, "архивариус") {
		b.fail("header: %q", who)
	}
	b.logout()
	b.run("orders after logout", chromedp.Navigate(w.base+"/orders"), visible(`#login`))
}

// TestWebLoginSecurity: CSRF on the login form and on the API with a session cookie, login
// throttling with its Russian message, the cookie's flags.
func TestWebLoginSecurity(t *testing.T) {
	w := startWeb(t)
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(p string) string {
		resp, err := hc.Get(w.base + p)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return string(body)
	}
	csrfOf := func(page string) string {
		m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("no csrf field in:\n%s", page)
		}
		return m[1]
	}
	post := func(p string, form url.Values, hdr ...string) (*http.Response, string) {
		req, _ := http.NewRequest("POST", w.base+p, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp, string(body)
	}

	tok := csrfOf(get("/login"))
	// A login form posted without the pre-session token (another site's form) is refused.
	if resp, _ := post("/login", url.Values{"login": {"ivanova"}, "password": {webPassword}, "csrf": {"forged"}}); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("login with a wrong csrf: %d", resp.StatusCode)
	}
	// Five wrong passwords make the next attempt from this address wait, also with the right
	// password, with a clear message (internal/web's tests cover other addresses and delays).
	for i := 0; i < 5; i++ {
		resp, body := post("/login", url.Values{"login": {"Ivanova"}, "password": {"wrong"}, "csrf": {tok}})
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "Неверный логин или пароль") {
			t.Fatalf("wrong password %d: %d", i+1, resp.StatusCode)
		}
	}
	resp, body := post("/login", url.Values{"login": {"ivanova"}, "password": {webPassword}, "csrf": {tok}})
	if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, "Слишком много попыток входа с этого адреса") {
		t.Fatalf("after 5 failures: %d\n%s", resp.StatusCode, body)
	}
	// Another login is not affected.
	resp, _ = post("/login", url.Values{"login": {"zubova"}, "password": {webPassword}, "csrf": {tok}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login of zubova: %d", resp.StatusCode)
	}
	var session *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "orders_session" {
			session = c
		}
	}
	if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteLaxMode || session.Secure {
		t.Fatalf("session cookie: %+v (plain HTTP: HttpOnly, Lax, not Secure)", session)
	}
	page := get("/orders")
	m := regexp.MustCompile(`<meta name="csrf-token" content="([^"]+)">`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no csrf meta on /orders:\n%s", page)
	}
	draft, _ := json.Marshal(map[string]any{"title": "x"})
	postJSON := func(hdr ...string) int {
		req, _ := http.NewRequest("POST", w.base+"/api/v1/orders", bytes.NewReader(draft))
		req.Header.Set("Content-Type", "application/json")
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := postJSON(); code != http.StatusForbidden {
		t.Errorf("API POST with the session but no X-CSRF-Token: %d, want 403", code)
	}
	if code := postJSON("X-CSRF-Token", "forged"); code != http.StatusForbidden {
		t.Errorf("API POST with a wrong X-CSRF-Token: %d, want 403", code)
	}
	if code := postJSON("X-CSRF-Token", m[1]); code != http.StatusUnprocessableEntity {
		t.Errorf("API POST with the token: %d, want 422 (an incomplete draft)", code)
	}
	// Logout needs the token too, and ends the session for the API as well.
	if resp, _ := post("/logout", url.Values{}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("logout without csrf: %d", resp.StatusCode)
	}
	if resp, _ := post("/logout", url.Values{"csrf": {m[1]}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("logout: %d", resp.StatusCode)
	}
	req, _ := http.NewRequest("GET", w.base+"/api/v1/orders", nil)
	req.AddCookie(session)
	r2, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r2.Body.Close()
	if r2.StatusCode != http.StatusUnauthorized {
		t.Errorf("API with the session after logout: %d", r2.StatusCode)
	}
}

const (
	webTitle   = "Об организации работы стажировочных площадок в 2025-2026 учебном году"
	webClause1 = "Утвердить перечень стажировочных площадок на 2025-2026 учебный год"
	webClause2 = "Руководителям образовательных организаций обеспечить работу площадок"
	webClause3 = "Методическому центру организовать сопровождение площадок"
)

// TestWebOrder: a clerk fills the form (three clauses, an appendix table pasted from Excel),
// sees the preview, submits, waits and downloads the PDF; a clerk of another organization
// gets a 404 page for it; the head registers and signs it; the archivist finds it.
func TestWebOrder(t *testing.T) {
	w := startWeb(t)
	b := newBrowser(t, w.base)
	b.login("ivanova")
	b.shot("orders-empty")
	b.run("open the form",
		chromedp.Navigate(w.base+"/orders/new"),
		visible(`#f-title`))
	if lh := b.text(`[data-testid="letterhead"]`); !strings.Contains(lh, "УПРАВЛЕНИЕ ПО ОБРАЗОВАНИЮ") {
		b.fail("letterhead from the profile: %q", lh)
	}
	b.run("title, preamble and three clauses",
		keys(`#f-title`, webTitle),
		click(`button[data-path="preamble"]`),
		visible(`#f-preamble-0`),
		keys(`#f-preamble-0`, "В целях методического сопровождения педагогических работников,"),
		keys(`#f-clauses-0-text`, webClause1),
		click(`#add-clause`),
		visible(`#f-clauses-1-text`),
		keys(`#f-clauses-1-text`, webClause2),
		click(`#add-clause`),
		visible(`#f-clauses-2-text`),
		keys(`#f-clauses-2-text`, webClause3))
	// Indent the third clause under the second (3 → 2.1), then back.
	b.run("indent", click(`button[data-act="indent"][data-path="clauses[2]"]`),
		visible(`#f-clauses-1-children-0-text`))
	if v := b.attr(`#f-clauses-1-children-0-text`, "id"); v == "" {
		b.fail("clause 2.1 missing after indent")
	}
	b.run("outdent", click(`button[data-act="outdent"][data-path="clauses[1].children[0]"]`),
		visible(`#f-clauses-2-text`))
	if third := b.value(`#f-clauses-2-text`); third != webClause3 {
		b.fail("clause 3 after indent and outdent: %q", third)
	}

	// An appendix with a table: column titles typed, rows pasted from Excel.
	b.run("appendix with a table",
		click(`#add-appendix`),
		visible(`#f-appendices-0-title`),
		keys(`#f-appendices-0-title`, "Перечень стажировочных площадок"),
		click(`button[data-act="add-block"][data-path="appendices[0].content"][data-type="table"]`),
		visible(`#f-appendices-0-content-0-table-columns-0-title`),
		keys(`#f-appendices-0-content-0-table-columns-0-title`, "Образовательная организация"),
		keys(`#f-appendices-0-content-0-table-columns-1-title`, "Тема"),
		setValue(`[data-paste="appendices[0].content[0].table"]`,
			"МБОУ «Лицей № 1»\tФункциональная грамотность\n\"МБОУ «СОШ № 5»\"\tЦифровая школа\nМБДОУ «Детский сад № 7»\tРанняя профориентация\n"),
		click(`button[data-act="paste-rows"]`),
		visible(`#f-appendices-0-content-0-table-rows-2-1`),
		setValue(`#f-clauses-0-appendix`, "app1"),
		eval(`document.querySelector('#f-clauses-0-appendix').dispatchEvent(new Event('change', {bubbles: true}))`))
	if cell := b.value(`#f-appendices-0-content-0-table-rows-1-0`); cell != "МБОУ «СОШ № 5»" {
		b.fail("pasted cell [1][0] = %q", cell)
	}

	// Without a signatory the preview says where the problems are, at their fields.
	b.run("preview with problems", click(`#preview-btn`),
		visible(`#problems`))
	if e := b.text(`[data-field="signatory.name"] .err`); !strings.Contains(e, "не заполнено") {
		b.fail("problem at signatory.name: %q", e)
	}
	b.shot("new-order-problems")
	// A refused submit lists the problems at the top; the auto-preview of the next edit keeps
	// that list (it once hid it 1.3 s later).
	b.run("refused submit", click(`#submit-btn`), visible(`#problems`),
		keys(`#f-signatory-position`, "Начальник управления по образованию"),
		chromedp.Sleep(3500*time.Millisecond))
	if s := b.text(`#problems`); !strings.Contains(s, "Подписант") {
		b.fail("the summary after the auto-preview: %q", s)
	}
	b.run("signatory",
		keys(`#f-signatory-name`, "А.Н. Зубова"),
		click(`button[data-path="acknowledgement.people"]`),
		visible(`#f-acknowledgement-people-0-name`),
		keys(`#f-acknowledgement-people-0-name`, "Л.Е. Мартынова"),
		keys(`#f-executor-name`, "Морозова И.А."))

	// The preview frame gets a PDF, rendered now.
	b.run("clear the preview", eval(`document.getElementById('preview-frame').removeAttribute('data-bytes')`))
	b.run("preview", click(`#preview-btn`))
	b.waitJS("preview PDF", `!!document.getElementById('preview-frame').dataset.bytes && document.getElementById('problems').hidden`, 30*time.Second)
	head := get(b, "preview bytes", chromedp.Evaluate[string](`fetch(document.getElementById('preview-frame').src.split('#')[0]).then(r => r.arrayBuffer()).then(b => String.fromCharCode(...new Uint8Array(b.slice(0, 5))))`,
		chromedp.EvalAwaitPromise))
	if head != "%PDF-" || b.attr(`#preview-frame`, "data-type") != "application/pdf" {
		b.fail("preview frame holds %q (%s), want a PDF", head, b.attr(`#preview-frame`, "data-type"))
	}
	b.shot("new-order")
	b.checkLabels("new order")
	b.axe("new order")
	b.shotElem("new-order-clauses", `#clauses`)
	b.shotElem("new-order-appendix", `[data-testid="appendix"]`)
	b.shotElem("new-order-preview", `aside.preview`)

	// Saved as you go: a reload brings the draft back from this browser.
	b.run("reload", chromedp.Reload(), visible(`#f-clauses-2-text`))
	if third := b.value(`#f-clauses-2-text`); third != webClause3 {
		b.fail("after reload clause 3 = %q", third)
	}

	b.run("submit", click(`#submit-btn`),
		visible(`#status`))
	loc := b.location()
	id := regexp.MustCompile(`/orders/([0-9a-f-]{36})$`).FindStringSubmatch(loc)
	if id == nil {
		b.fail("after submit at %s", loc)
	}
	b.waitJS("rendered", `document.getElementById('status').dataset.status === 'rendered' && !!document.querySelector('a[data-doc="pdf"]')`, 60*time.Second)
	b.shot("order-draft")
	pdfURL := b.attr(`a[data-doc="pdf"]`, "href")
	hc := b.httpClient()
	resp, err := hc.Get(w.base + pdfURL)
	if err != nil {
		t.Fatal(err)
	}
	pdf, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/pdf" {
		t.Fatalf("download %s: %d %s", pdfURL, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	text := strings.Join(strings.Fields(pdfText(t, pdf)), " ")
	for _, want := range []string{"ПРОЕКТ", "Об организации работы стажировочных площадок", webClause1[:60], webClause2[:50],
		"Методическому центру организовать", "(приложение", "МБОУ «Лицей № 1»", "Цифровая школа", "МБДОУ «Детский сад № 7»",
		"Образовательная организация", "А.Н. Зубова", "Л.Е. Мартынова", "Морозова И.А."} {
		if !strings.Contains(text, want) {
			t.Errorf("the PDF has no %q:\n%s", want, text)
		}
	}
	if resp, err := hc.Get(w.base + b.attr(`a[data-doc="docx"]`, "href")); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("docx download: %v %v", err, resp)
	}
	orderURL := w.base + "/orders/" + id[1]
	// «Мои проекты»: the clerk's own drafts, with their author.
	b.run("my drafts", chromedp.Navigate(w.base+"/orders"), click(`#my-drafts`), visible(`[data-testid="orders"]`))
	if s := b.text(`[data-testid="orders"]`); !strings.Contains(s, webTitle) || !strings.Contains(s, "Иванова И.И.") {
		b.fail("my drafts: %q", s)
	}
	if !strings.Contains(b.location(), "mine=1") || get(b, "mine checked", chromedp.Evaluate[bool](`document.getElementById('f-mine').checked`)) == false {
		b.fail("my drafts at %s without the box checked", b.location())
	}

	// Another organization's clerk: the order does not exist, by URL or by API.
	b.logout()
	b.login("guseva")
	b.run("another organization's order", chromedp.Navigate(orderURL), visible(`[data-testid="error-page"]`))
	if h := b.text(`[data-testid="error-page"] h1`); h != "Приказ не найден" {
		b.fail("404 page says %q", h)
	}
	hc2 := b.httpClient()
	for _, u := range []string{orderURL, orderURL + "/edit", w.base + "/api/v1/orders/" + id[1], w.base + pdfURL} {
		resp, err := hc2.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("chebula's clerk GET %s: %d, want 404", u, resp.StatusCode)
		}
	}
	b.shot("not-found")
	// A copy of it: a page that says why, not a form with nothing to send.
	b.run("copy of another organization's order", chromedp.Navigate(w.base+"/orders/new?copy="+id[1]), visible(`[data-testid="error-page"]`))
	if h := b.text(`[data-testid="error-page"] h1`); h != "Приказ для копии не найден" {
		b.fail("copy of another organization's order: %q", h)
	}
	if n := get(b, "submit buttons", chromedp.Evaluate[int](`document.querySelectorAll('#submit-btn, #submit-top').length`)); n != 0 {
		b.fail("the copy page offers to send: %d buttons", n)
	}

	// The head registers and signs.
	b.logout()
	b.login("zubova")
	b.run("order page", chromedp.Navigate(orderURL), visible(`#register-btn`))
	b.waitJS("journals", `[...document.querySelectorAll('#reg-journal option')].some(o => o.value === 'main')`, 10*time.Second)
	// Register and sign ask first, saying what will happen; «Сведения» follow without a reload.
	b.run("register", eval(`window.confirm = (m) => { window.asked = m; return true; }`),
		setValue(`#reg-journal`, "main"), click(`#register-btn`))
	b.waitJS("registered", `document.getElementById('state').dataset.state === 'registered'`, 20*time.Second)
	if asked := get(b, "register question", chromedp.Evaluate[string](`window.asked`)); !strings.HasPrefix(asked, "Присвоить номер в журнале «по основной деятельности» с датой ") {
		b.fail("register asked %q", asked)
	}
	if j := b.text(`#journal`); j != "по основной деятельности" {
		b.fail("journal in «Сведения» after registration: %q", j)
	}
	b.waitJS("registration time shown", `!document.getElementById('registered-at').hidden && document.getElementById('registered-at').textContent.length > 10`, 5*time.Second)
	b.waitJS("rendered again", `document.getElementById('status').dataset.status === 'rendered' && !!document.getElementById('sign-btn')`, 60*time.Second)
	if n := b.text(`#number`); n != "№ 1-о" {
		b.fail("number after registration: %q", n)
	}
	b.run("sign", click(`#sign-btn`))
	b.waitJS("signed", `document.getElementById('state').dataset.state === 'signed' && !!document.querySelector('a[data-doc="signed"]')`, 30*time.Second)
	if asked := get(b, "sign question", chromedp.Evaluate[string](`window.asked`)); !strings.HasPrefix(asked, "Подписать приказ № 1-о от ") {
		b.fail("sign asked %q", asked)
	}
	b.waitJS("signatory and time shown", `document.getElementById('signatory').textContent !== '' && !document.getElementById('signed-at').hidden`, 5*time.Second)
	// «Печать» prints the PDF itself: it is loaded into a frame of its own.
	b.run("print", click(`#print-btn`))
	b.waitJS("PDF in the print frame", `document.getElementById('print-frame')?.dataset.type === 'application/pdf' && document.getElementById('print-frame').src.startsWith('blob:')`, 10*time.Second)
	b.waitJS("signature check shown", `(document.querySelector('[data-testid="signature"]') || {}).textContent?.includes('Подпись верна, сертификат не проверен')`, 10*time.Second)
	b.waitJS("acknowledgement form", `!!document.querySelector('#acks button')`, 10*time.Second)
	b.run("acknowledge", click(`#acks button`))
	b.waitJS("acknowledged", `document.getElementById('acks').textContent.includes('Зубова А.Н.')`, 10*time.Second)
	b.waitJS("audit trail", `['регистрация', 'подписание', 'ознакомление', 'журнал «по основной деятельности»'].every(w => document.getElementById('audit').textContent.includes(w))`, 10*time.Second)
	if who := get(b, "audit «Кто»", chromedp.Evaluate[[]string](`[...document.querySelectorAll('#audit td[data-label="Кто"]')].map(td => td.textContent)`)); len(who) == 0 || who[0] != "Зубова А.Н." {
		b.fail("audit «Кто»: %q, want «Зубова А.Н.»", who)
	}
	if s := b.text(`.order-grid`); strings.Contains(s, "user:") || strings.Contains(s, "журнал main") {
		b.fail("the order page shows ids instead of names: %q", s)
	}
	b.shot("order-signed")
	b.checkLabels("order page")
	b.axe("order page")

	// A copy of the signed order starts a new draft with its text, without its number.
	b.run("copy", click(`#edit-actions a[href*="copy="]`), visible(`#f-clauses-2-text`))
	b.waitJS("copied draft", `document.getElementById('f-title').value.startsWith('Об организации работы') && document.getElementById('f-clauses-1-text').value.startsWith('Руководителям')`, 10*time.Second)
	if s := b.text(`#saved`); !strings.Contains(s, "Копия приказа № 1-о") {
		b.fail("copy note: %q", s)
	}

	// The archivist finds it by words in other forms than those of the text.
	b.logout()
	b.login("petrova")
	b.run("archive", chromedp.Navigate(w.base+"/archive"), visible(`#a-q`),
		keys(`#a-q`, "стажировочная площадка"),
		click(`#search button[type=submit]`))
	b.waitJS("found", `[...document.querySelectorAll('#results a')].some(a => a.href.endsWith('`+id[1]+`'))`, 10*time.Second)
	// The results are drawn again when their total arrives: click the header in the page, not a
	// node found a moment before (chromedp's «could not find node» on a quiet machine).
	b.run("sort by number", eval(`document.querySelector('button[data-sort="number"]').click()`))
	b.waitJS("sorted by number", `document.querySelector('button[data-sort="number"]')?.closest('th').getAttribute('aria-sort') === 'ascending'`, 10*time.Second)
	b.run("by number", chromedp.Clear(chromedp.CSS(`#a-q`)), setValue(`#a-number`, "1-о"),
		click(`#search button[type=submit]`))
	b.waitJS("found by number", `document.querySelectorAll('#results tbody tr').length === 1 && document.getElementById('results').textContent.includes('№ 1-о')`, 10*time.Second)
	b.run("nothing", setValue(`#a-number`, "999"), click(`#search button[type=submit]`))
	b.waitJS("nothing found", `document.getElementById('archive-status').textContent.includes('Ничего не найдено')`, 10*time.Second)
	b.run("export period",
		eval(`for (const [id, v] of [['a-number', ''], ['a-q', 'площадки'], ['a-from', '2000-01-01'], ['a-to', '2100-01-01']]) document.getElementById(id).value = v`),
		click(`#search button[type=submit]`))
	b.waitJS("export link", `document.getElementById('export').getAttribute('aria-disabled') === 'false' && document.querySelectorAll('#results tbody tr').length === 1`, 10*time.Second)
	resp, err = b.httpClient().Get(w.base + b.attr(`#export`, "href"))
	if err != nil {
		t.Fatal(err)
	}
	zipData, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.HasPrefix(zipData, []byte("PK")) {
		t.Fatalf("export: %d %q", resp.StatusCode, zipData[:min(len(zipData), 200)])
	}
	b.shot("archive")
	b.checkLabels("archive")
	b.axe("archive")
	b.run("orders list", chromedp.Navigate(w.base+"/orders"), visible(`[data-testid="orders"]`))
	if s := b.text(`[data-testid="orders"]`); !strings.Contains(s, "Иванова И.И.") {
		b.fail("the list does not name the author: %q", s)
	}
	b.run("the archivist's own", chromedp.Navigate(w.base+"/orders?mine=1"), visible(`.empty`))
	b.shot("orders")
	b.checkLabels("orders")
	b.axe("orders")

	// An administrator sees every organization and chooses one for a new order.
	b.logout()
	b.login("admin")
	b.run("admin's list", chromedp.Navigate(w.base+"/orders"), visible(`[data-testid="orders"]`))
	// Organizations by name, not by id; the count of all of them.
	if s := b.text(`[data-testid="orders"]`); !strings.Contains(s, "Организация") || !strings.Contains(s, "УПРАВЛЕНИЕ ПО ОБРАЗОВАНИЮ") || strings.Contains(s, "balashikha") {
		b.fail("admin's list: %q", s)
	}
	if s := b.text(`#orders-total`); !strings.HasPrefix(s, "Найдено: ") {
		b.fail("admin's list total: %q", s)
	}
	b.run("admin's form", chromedp.Navigate(w.base+"/orders/new"), visible(`#f-organization`))
	b.run("choose chebula", setValue(`#f-organization`, "chebula"),
		eval(`document.getElementById('f-organization').dispatchEvent(new Event('change', {bubbles: true}))`))
	b.waitJS("chebula's letterhead", `document.querySelector('[data-testid="letterhead"]').textContent.includes('ЧЕБУЛИНСКОГО')`, 10*time.Second)

	// The admin cancels the signed order: the page says so at the top, with the reason, at
	// once and after a reload.
	b.run("order to cancel", chromedp.Navigate(orderURL), visible(`#cancel-btn`),
		eval(`window.confirm = (m) => { window.asked = m; return true; }`),
		keys(`#cancel-reason`, "издан ошибочно"), click(`#cancel-btn`))
	b.waitJS("cancelled banner", `!document.getElementById('cancelled-banner').hidden && document.getElementById('cancelled-banner').textContent.includes('издан ошибочно')`, 10*time.Second)
	b.run("reload", chromedp.Navigate(orderURL), visible(`#cancelled-banner`))
	if s := b.text(`#cancelled-banner`); !strings.Contains(s, "Приказ отменён") || !strings.Contains(s, "Причина: издан ошибочно") || strings.Contains(s, "user:") {
		b.fail("cancelled banner after reload: %q", s)
	}
	b.shot("order-cancelled")
}

// TestWebUnknownPage: an unknown address is a page for a browser (with the menu of who is
// logged in) and problem+json for the API; /favicon.ico is there.
func TestWebUnknownPage(t *testing.T) {
	w := startWeb(t)
	for _, tc := range []struct{ path, accept, ctype string }{
		{"/favicon.ico", "image/*", "image/svg+xml"},
		{"/no-such-page", "text/html,application/xhtml+xml", "text/html; charset=utf-8"},
		{"/no-such-page", "application/json", "application/problem+json"},
		{"/api/v1/no-such-resource", "text/html", "application/problem+json"},
	} {
		req, _ := http.NewRequest("GET", w.base+tc.path, nil)
		req.Header.Set("Accept", tc.accept)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		want := http.StatusNotFound
		if tc.path == "/favicon.ico" {
			want = http.StatusOK
		}
		if resp.StatusCode != want || resp.Header.Get("Content-Type") != tc.ctype {
			t.Errorf("GET %s (Accept %s): %d %s, want %d %s\n%.300s", tc.path, tc.accept, resp.StatusCode, resp.Header.Get("Content-Type"), want, tc.ctype, body)
		}
	}
	b := newBrowser(t, w.base)
	b.login("ivanova")
	b.run("unknown page", chromedp.Navigate(w.base+"/orderz"), visible(`[data-testid="error-page"]`))
	if h := b.text(`[data-testid="error-page"] h1`); h != "Страница не найдена" {
		b.fail("unknown page: %q", h)
	}
	if who := b.text(`[data-testid="user"]`); who != "Иванова И.И." {
		b.fail("the unknown page has no header of the user: %q", who)
	}
	b.axe("unknown page")
	b.shot("unknown-page")
}

// TestWebPhone: at 390 px the menu folds under «Меню» (it was cut mid-word), the preview
// opens over the whole screen (it was an empty dark box), and wide tables scroll inside
// their box, saying so, instead of widening or clipping the page.
func TestWebPhone(t *testing.T) {
	w := startWeb(t)
	b := newBrowser(t, w.base)
	b.run("phone", chromedp.EmulateViewport(390, 844))
	b.login("ivanova")
	noOverflow := func(what string) {
		b.t.Helper()
		if wide := get(b, "page width", chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); wide > 390 {
			b.fail("%s: the page is %d px wide on a 390 px screen", what, wide)
		}
	}
	b.run("orders", chromedp.Navigate(w.base+"/orders"), visible(`#menu-toggle`))
	if n := get(b, "menu items shown", chromedp.Evaluate[int](`[...document.querySelectorAll('#menu a')].filter(a => a.offsetParent).length`)); n != 0 {
		b.fail("the folded menu shows %d items", n)
	}
	b.run("open the menu", click(`#menu-toggle`), visible(`#menu a[href="/archive"]`))
	cut := get(b, "menu items cut", chromedp.Evaluate[[]string](`[...document.querySelectorAll('#menu a')].filter(a => { const r = a.getBoundingClientRect(); return r.right > innerWidth || r.left < 0 || a.scrollWidth > a.clientWidth; }).map(a => a.textContent)`))
	if len(cut) > 0 || b.attr(`#menu-toggle`, "aria-expanded") != "true" {
		b.fail("open menu: items cut %q, aria-expanded %s", cut, b.attr(`#menu-toggle`, "aria-expanded"))
	}
	noOverflow("orders")
	b.axe("phone menu")
	b.shot("phone-menu")
	b.run("phone again", chromedp.EmulateViewport(390, 844)) // shot leaves 1280 px

	b.run("new order from the Chebula example", chromedp.Navigate(w.base+"/orders/new?template=chebula"),
		visible(`[data-testid="table"]`), chromedp.Sleep(500*time.Millisecond))
	if shown := get(b, "preview frame", chromedp.Evaluate[bool](`!!document.getElementById('preview-frame').offsetParent`)); shown {
		b.fail("a PDF frame beside the form on a phone")
	}
	b.waitJS("the table says it scrolls", `[...document.querySelectorAll('[data-testid="table"] .table-wrap')].every(w => w.classList.contains('scrolls') && w.tabIndex === 0)`, 5*time.Second)
	noOverflow("new order")
	b.run("full-screen preview", click(`#preview-full`))
	b.waitJS("preview over the screen", `(() => { const r = document.querySelector('aside.preview').getBoundingClientRect(); const f = document.getElementById('preview-frame').getBoundingClientRect(); return r.width === innerWidth && r.height === innerHeight && f.height > innerHeight / 2 && !!document.getElementById('preview-frame').dataset.bytes; })()`, 30*time.Second)
	b.axe("phone preview")
	b.shot("phone-preview")
	b.run("phone again", chromedp.EmulateViewport(390, 844))
	b.run("close the preview", click(`#preview-full`))
	if open := get(b, "preview open", chromedp.Evaluate[bool](`document.querySelector('aside.preview').classList.contains('preview-open')`)); open {
		b.fail("the preview did not close")
	}
	b.shot("phone-new-order")
	b.shotElem("phone-new-order-table", `[data-testid="table"]`)
}

// TestWebSettings: a head manages the journals and users of the organization in the pages,
// an admin also the organizations (until then CLI and API only); a clerk has no such page.
func TestWebSettings(t *testing.T) {
	w := startWeb(t)
	b := newBrowser(t, w.base)
	b.login("ivanova")
	if n := get(b, "menu of a clerk", chromedp.Evaluate[int](`document.querySelectorAll('#menu a[href="/settings"]').length`)); n != 0 {
		b.fail("a clerk's menu has «Справочники»")
	}
	b.run("clerk at /settings", chromedp.Navigate(w.base+"/settings"), visible(`[data-testid="error-page"]`))
	b.logout()

	b.login("zubova")
	b.run("settings", chromedp.Navigate(w.base+"/settings"), visible(`#journal-form`))
	b.waitJS("journals listed", `document.getElementById('journal-list').textContent.includes('по основной деятельности')`, 10*time.Second)
	b.run("a journal of personnel orders", setValue(`#j-id`, "personnel"), setValue(`#j-name`, "по личному составу"),
		setValue(`#j-format`, "{seq}-к"), setValue(`#j-start`, "12"), click(`#journal-form button[type=submit]`))
	b.waitJS("journal saved", `document.getElementById('journal-list').textContent.includes('по личному составу') && document.getElementById('journal-list').textContent.includes('12')`, 10*time.Second)
	b.run("a bad format", setValue(`#j-id`, "bad"), setValue(`#j-name`, "плохой"), setValue(`#j-format`, "без номера"),
		click(`#journal-form button[type=submit]`))
	b.waitJS("format refused", `document.getElementById('journal-error').textContent.startsWith('Не сохранено')`, 10*time.Second)

	b.run("a user", setValue(`#u-login`, "sidorova"), setValue(`#u-name`, "Сидорова С.С."), setValue(`#u-role`, "clerk"),
		setValue(`#u-password`, webPassword), setValue(`#u-password2`, webPassword), click(`#user-form button[type=submit]`),
		visible(`.alert-ok`))
	if s := b.text(`[data-testid="users"]`); !strings.Contains(s, "sidorova") || !strings.Contains(s, "Сидорова С.С.") {
		b.fail("users after adding: %q", s)
	}
	if n := get(b, "admin role offered", chromedp.Evaluate[int](`document.querySelectorAll('#u-role option[value="admin"]').length`)); n != 0 {
		b.fail("a head may make admins")
	}
	b.run("passwords differ", setValue(`#u-login`, "x"), setValue(`#u-password`, webPassword), setValue(`#u-password2`, "другой пароль"),
		click(`#user-form button[type=submit]`), visible(`#user-error`))
	if s := b.text(`#user-error`); !strings.Contains(s, "разные пароли") {
		b.fail("different passwords: %q", s)
	}
	b.checkLabels("settings")
	b.axe("settings")
	b.shot("settings-head")
	b.run("disable sidorova", eval(`[...document.querySelectorAll('#users button')].find(b => b.textContent === 'Отключить sidorova').click()`), visible(`.alert-ok`))
	if s := b.text(`.alert-ok`); !strings.Contains(s, "отключён") {
		b.fail("after disabling: %q", s)
	}
	b.logout()
	b.run("login of a disabled user", chromedp.Navigate(w.base+"/login"), visible(`#login`),
		setValue(`#login`, "sidorova"), setValue(`#password`, webPassword), click(`#login-submit`), chromedp.Sleep(500*time.Millisecond))
	if loc := b.location(); !strings.Contains(loc, "/login") {
		b.fail("a disabled user logged in: %s", loc)
	}

	b.login("admin")
	b.run("admin's settings", chromedp.Navigate(w.base+"/settings"), visible(`#org-form`))
	b.waitJS("organizations listed", `document.getElementById('org-list').textContent.includes('УПРАВЛЕНИЕ ПО ОБРАЗОВАНИЮ')`, 10*time.Second)
	b.run("an organization", setValue(`#o-id`, "lyceum-2"), setValue(`#o-name`, "МБОУ «ЛИЦЕЙ № 2»"), setValue(`#o-address`, "г. Балашиха, ул. Лесная, д. 1"),
		click(`#org-form button[type=submit]`))
	b.waitJS("organization saved", `document.getElementById('org-list').textContent.includes('МБОУ «ЛИЦЕЙ № 2»')`, 10*time.Second)

	// The emblem and the Word letterhead of an organization: bad files are refused in
	// Russian and nothing is kept; good ones show on the page; removal takes them away.
	dir := t.TempDir()
	bomb, good, notDocx, lh := filepath.Join(dir, "герб-бомба.png"), filepath.Join(dir, "герб.png"), filepath.Join(dir, "бланк.docx"), filepath.Join(dir, "свой-бланк.docx")
	webMust(t, os.WriteFile(bomb, webPNGBomb(), 0o644))
	webMust(t, os.WriteFile(good, webEmblem(t), 0o644))
	webMust(t, os.WriteFile(notDocx, []byte("это не документ Word"), 0o644))
	lhBytes, err := templates.Letterhead.ReadFile("letterhead/centered.docx")
	webMust(t, err)
	webMust(t, os.WriteFile(lh, lhBytes, 0o644))
	b.waitJS("files of the first organization", `document.getElementById('files-state').textContent.includes('Эмблема: нет')`, 10*time.Second)
	b.run("a PNG bomb", chromedp.SetUploadFiles(chromedp.CSS(`#f-emblem`), []string{bomb}), click(`#emblem-upload`))
	b.waitJS("bomb refused", `document.getElementById('files-error').textContent.includes('допускается не более 2000×2000')`, 10*time.Second)
	b.run("an emblem", chromedp.SetUploadFiles(chromedp.CSS(`#f-emblem`), []string{good}), click(`#emblem-upload`))
	b.waitJS("emblem shown", `document.getElementById('files-state').textContent.includes('Эмблема: загружена') && document.querySelector('#files-state img') && document.querySelector('#files-state img').naturalWidth === 60 && document.getElementById('files-error').textContent === ''`, 10*time.Second)
	b.run("not a docx", chromedp.SetUploadFiles(chromedp.CSS(`#f-letterhead`), []string{notDocx}), click(`#letterhead-upload`))
	b.waitJS("not a docx refused", `document.getElementById('files-error').textContent.includes('не архив zip')`, 10*time.Second)
	b.run("a letterhead", chromedp.SetUploadFiles(chromedp.CSS(`#f-letterhead`), []string{lh}), click(`#letterhead-upload`))
	b.waitJS("letterhead kept", `document.getElementById('files-state').textContent.includes('Бланк Word: свой') && document.getElementById('org-list').textContent.includes('эмблема, свой бланк Word')`, 10*time.Second)
	b.checkLabels("settings of an admin")
	b.axe("settings of an admin")
	b.shot("settings-admin")
	b.run("remove the emblem", click(`#emblem-remove`))
	b.waitJS("emblem removed", `document.getElementById('files-state').textContent.includes('Эмблема: нет') && document.getElementById('files-state').textContent.includes('Бланк Word: свой')`, 10*time.Second)
}

// webEmblem is a 60×40 PNG emblem with transparency.
func webEmblem(t *testing.T) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, 60, 40))
	for i := range img.Pix {
		img.Pix[i] = byte(i)
	}
	var b bytes.Buffer
	webMust(t, png.Encode(&b, img))
	return b.Bytes()
}

// webPNGBomb declares 40000×40000 RGBA pixels in a few bytes.
func webPNGBomb() []byte {
	chunk := func(typ string, data []byte) []byte {
		out := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
		out = append(append(out, typ...), data...)
		return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(append([]byte(typ), data...)))
	}
	ihdr := binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(nil, 40000), 40000)
	ihdr = append(ihdr, 8, 6, 0, 0, 0)
	return append(append([]byte("\x89PNG\r\n\x1a\n"), chunk("IHDR", ihdr)...), chunk("IEND", nil)...)
}

// webBatchTemplate is a department's own per-row template: a school's platform order.
const webBatchTemplate = `{
  "kind": "приказ",
  "date": "{Дата}",
  "title": "Об организации стажировочной площадки на базе {Организация} в {учебный_год} учебном году",
  "clauses": [
    {"text": "Организовать на базе {Организация} стажировочную площадку по теме «{Тема}».", "responsible": "{Руководитель}"}
  ],
  "signatory": {"position": ["Начальник управления по образованию"], "name": "А.Н. Зубова"}
}`

// TestWebBatch: a department uploads a CSV, sees the first rows, gets every row problem
// before anything is issued, then issues the batch and watches the progress bar to the end.
func TestWebBatch(t *testing.T) {
	w := startWeb(t)
	b := newBrowser(t, w.base)
	b.login("ivanova")
	dir := t.TempDir()
	tmpl := filepath.Join(dir, "площадка.json")
	bad := filepath.Join(dir, "площадки-ошибки.csv")
	good := filepath.Join(dir, "площадки.csv")
	webMust(t, os.WriteFile(tmpl, []byte(webBatchTemplate), 0o644))
	webMust(t, os.WriteFile(bad, []byte("Организация;Тема;Руководитель;Дата\r\n"+
		"МБОУ «Лицей № 1»;Функциональная грамотность;Иванов И.И.;01.09.2025\r\n"+
		"МБОУ «СОШ № 5»;;Петров П.П.;01.09.2025\r\n"+
		"МБОУ «СОШ № 6»;Цифровая школа;Сидорова С.С.;31.02.2025\r\n"), 0o644))
	webMust(t, os.WriteFile(good, []byte("Организация;Вид площадки;Тема;Руководитель\r\n"+
		"МБОУ «Лицей № 1»;стажировочная;Функциональная грамотность;Иванов И.И.\r\n"+
		"МБОУ «СОШ № 5»;стажировочная;Наставничество;Петров П.П.\r\n"+
		"МБОУ «СОШ № 6»;инновационная;Цифровая школа;Сидорова С.С.\r\n"+
		"МБДОУ «Детский сад № 7»;инновационная;Ранняя профориентация;Кузнецова К.К.\r\n"), 0o644))

	// A template of the department's own and rows with problems: every problem is listed
	// with its line and column, and nothing is issued.
	b.run("choose the template and the rows",
		chromedp.Navigate(w.base+"/batches"),
		visible(`#b-data`),
		setValue(`#b-template`, ""),
		eval(`document.getElementById('b-template').dispatchEvent(new Event('change'))`),
		chromedp.SetUploadFiles(chromedp.CSS(`#b-template-file`), []string{tmpl}),
		chromedp.SetUploadFiles(chromedp.CSS(`#b-data`), []string{bad}))
	b.waitJS("first rows and the constant", `document.querySelectorAll('#sample tbody tr').length === 3 && !!document.querySelector('[data-const="учебный_год"]') && document.querySelectorAll('[data-const]').length === 1`, 10*time.Second)
	if s := b.text(`#sample`); !strings.Contains(s, "МБОУ «СОШ № 5»") || !strings.Contains(s, "строк данных — 3") {
		b.fail("first rows: %q", s)
	}
	b.run("constant", setValue(`[data-const="учебный_год"]`, "2025-2026"),
		click(`#b-start`), visible(`#row-problems table`))
	probs := b.text(`#row-problems`)
	for _, want := range []string{"Тема", "Дата"} {
		if !strings.Contains(probs, want) {
			b.fail("row problems lack %q: %s", want, probs)
		}
	}
	rows := get(b, "problem rows", chromedp.Evaluate[[]string](`[...document.querySelectorAll('#row-problems tbody tr')].map(tr => tr.cells[0].textContent + '|' + tr.cells[1].textContent)`))
	if strings.Join(rows, " ") != "3|Тема 4|Дата" {
		b.fail("row problems: %q, want line 3 «Тема» and line 4 «Дата»", rows)
	}
	b.axe("batch problems")
	b.shot("batch-problems")

	// A template whose field nothing fills: its problem is told under its own heading, at
	// the field, and the rows' heading is gone (the file was fine).
	badTmpl := filepath.Join(dir, "площадка-ошибка.json")
	webMust(t, os.WriteFile(badTmpl, []byte(strings.Replace(webBatchTemplate, "А.Н. Зубова", "{подписант}", 1)), 0o644))
	b.run("a template with an unfilled field",
		chromedp.SetUploadFiles(chromedp.CSS(`#b-template-file`), []string{badTmpl}))
	b.waitJS("the new field in the form", `!!document.querySelector('[data-const="подписант"]')`, 10*time.Second)
	b.run("constant again", setValue(`[data-const="учебный_год"]`, "2025-2026"),
		click(`#b-start`), visible(`#template-problems li`))
	if tp := b.text(`#template-problems`); !strings.Contains(tp, "{подписант}") || !strings.Contains(tp, "signatory.name") {
		b.fail("template problems: %q", tp)
	}
	if hidden := get(b, "rows heading hidden", chromedp.Evaluate[bool](`document.getElementById('problems-box').hidden`)); !hidden {
		b.fail("the rows' problems are shown for a template problem")
	}
	b.shot("batch-template-problems")
	n := get(b, "nothing issued", chromedp.Evaluate[int](`fetch('/api/v1/orders').then(r => r.json()).then(j => j.orders.length)`,
		chromedp.EvalAwaitPromise))
	if n != 0 {
		b.fail("orders after a refused batch: %d", n)
	}

	// The shipped yearly template, good rows: issued, followed to the end by the progress bar.
	consts := map[string]string{
		"учебный_год": "2025-2026", "основание": "Министерства образования Московской области от 01.09.2025 № 100",
		"методический_центр": "МБУ ДПО «Учебно-методический центр»", "контроль": "заместителя начальника управления И.И. Иванову",
		"должность_подписанта": "Начальник управления по образованию", "подписант": "А.Н. Зубова",
	}
	b.run("choose the yearly template",
		chromedp.Navigate(w.base+"/batches"),
		visible(`#b-data`),
		chromedp.SetUploadFiles(chromedp.CSS(`#b-data`), []string{good}))
	b.waitJS("constants of the yearly template", `document.querySelectorAll('#sample tbody tr').length === 4 && document.querySelectorAll('[data-const]').length === 7`, 10*time.Second)
	// The form is the template's fields that no column fills (GET …/fields): required ones
	// marked, the shipped wording prefilled, and a sample file with the columns offered.
	if v := b.value(`input[data-const="площадки"]`); v != "стажировочных площадок и региональных инновационных площадок" {
		b.fail("the template's saved constant is not prefilled: %q", v)
	}
	if n := get(b, "required marks", chromedp.Evaluate[int](`document.querySelectorAll('#constants input[aria-required="true"]').length`)); n != 7 {
		b.fail("required batch-wide values: %d, want 7", n)
	}
	if !strings.Contains(b.text(`label[for="`+b.attr(`input[data-const="подписант"]`, "id")+`"]`), "*") {
		b.fail("the required «подписант» is not marked")
	}
	b.shotElem("batch-constants", `#batch-form`)
	for ext, sig := range map[string]string{"csv": "Организация;Вид площадки;Тема;Руководитель", "xlsx": "PK"} {
		resp, err := b.httpClient().Get(w.base + b.attr(`#b-sample-`+ext, "href"))
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(data), sig) {
			b.fail("sample %s: %d, %.80q", ext, resp.StatusCode, data)
		}
	}
	for k, v := range consts {
		b.run("constant "+k, setValue(`input[data-const="`+k+`"]`, v))
	}
	// The shipped template is one order; a person may still ask for an order per row.
	if !get(b, "mode from the template", chromedp.Evaluate[bool](`document.querySelector('input[name=mode][value=one_order]').checked`)) {
		b.fail("the template's mode one_order is not chosen")
	}
	b.run("start", click(`input[name=mode][value=per_row]`), click(`#b-start`), visible(`#progress-box`))
	b.waitJS("batch done", `document.getElementById('progress').dataset.done === 'true'`, 90*time.Second)
	if v := b.attr(`#progress`, "aria-valuenow"); v != "100" {
		b.fail("progress at the end: %s", v)
	}
	if s := b.text(`#progress-text`); !strings.Contains(s, "Готово: 4 из 4") {
		b.fail("progress text: %q", s)
	}
	b.shot("batch")
	b.checkLabels("batch")
	b.axe("batch")
	hc := b.httpClient()
	for _, doc := range []string{"zip", "merged"} {
		resp, err := hc.Get(w.base + b.attr(`a[data-doc="`+doc+`"]`, "href"))
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || len(data) < 1000 {
			t.Errorf("%s: %d, %d bytes", doc, resp.StatusCode, len(data))
		}
	}
	if loc := b.location(); !regexp.MustCompile(`/batches/[0-9a-f-]{36}$`).MatchString(loc) {
		b.fail("batch page URL %s", loc)
	}
	// The batch page of a finished batch shows it finished after a reload.
	b.run("reload", chromedp.Reload(), visible(`#batch-docs a`))

	// In the list, the batch's drafts that share a title are told apart by their row; the
	// list sorts by title over all the orders, not the page.
	b.run("orders by title", chromedp.Navigate(w.base+"/orders?sort=title"), visible(`[data-testid="orders"]`))
	if shown := get(b, "menu button", chromedp.Evaluate[bool](`!!document.getElementById('menu-toggle').offsetParent`)); shown {
		b.fail("«Меню» on a wide screen")
	}
	rowsSeen := get(b, "batch rows", chromedp.Evaluate[[]string](`[...document.querySelectorAll('[data-testid="batch-row"]')].map(e => e.textContent)`))
	if len(rowsSeen) != 4 || rowsSeen[0] == rowsSeen[1] || !strings.Contains(strings.Join(rowsSeen, " "), "строка 2: МБОУ «Лицей № 1»") {
		b.fail("batch rows in the list: %q", rowsSeen)
	}
	titles := get(b, "titles", chromedp.Evaluate[[]string](`[...document.querySelectorAll('[data-testid="orders"] .title-cell a')].map(a => a.textContent.toLowerCase())`))
	if !slices.IsSorted(titles) {
		b.fail("sorted by title: %q", titles)
	}
	if v := b.value(`#f-sort`); v != "title" {
		b.fail("the sort select says %q", v)
	}
	b.shot("orders-batch")
}

func webMust(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestWebEditorKeepsStructures: a draft started from an example with structures the form does
// not edit (a council's protocol, secretary and date-only registration; personnel clauses
// with their basis) keeps them in the editor's model and its preview, instead of losing them.
func TestWebEditorKeepsStructures(t *testing.T) {
	w := startWeb(t)
	b := newBrowser(t, w.base)
	b.login("ivanova")
	for _, c := range []struct{ example, want string }{
		{"council-decision", `"signatories" "protocol" "unnumbered" "date_place"`},
		{"personnel-moves", `"action" "person" "basis"`},
	} {
		b.run("start from "+c.example,
			// A fresh form: the previous example's draft is not restored over this one.
			chromedp.Navigate(w.base+"/orders"),
			eval(`localStorage.clear()`),
			chromedp.Navigate(w.base+"/orders/new"),
			visible(`#start-from`),
			eval(`(() => { const s = document.querySelector('#start-from'); s.value = '`+c.example+`'; s.dispatchEvent(new Event('change', {bubbles: true})); })()`),
			visible(`#f-title`))
		b.waitJS(c.example+" saved in the browser", `Object.keys(localStorage).some((k) => (localStorage.getItem(k) || '').includes('"draft"'))`, 10*time.Second)
		for _, field := range strings.Fields(c.want) {
			if !get(b, "stored draft", chromedp.Evaluate[bool](`Object.keys(localStorage).some((k) => (localStorage.getItem(k) || '').includes('`+field+`:'))`)) {
				b.fail("%s: the editor dropped %s", c.example, field)
			}
		}
		b.waitJS(c.example+" preview", `!!document.getElementById('preview-frame').dataset.bytes && document.getElementById('problems').hidden`, 30*time.Second)
	}
}

// TestWebTemplates: «Шаблоны» — a template made from an order (the order page's button), edited
// into a new version with a {field} and a constant, a problem shown at its field, a save over
// someone else's refused with a 409 told in Russian, its versions listed, and deleted.
func TestWebTemplates(t *testing.T) {
	w := startWeb(t)
	b := newBrowser(t, w.base)
	b.login("ivanova")
	draft := example(t, "balashikha")
	delete(draft, "letterhead")
	dj, err := json.Marshal(draft)
	webMust(t, err)
	id := get(b, "an order to start from", chromedp.Evaluate[string](`fetch('/api/v1/orders', {method: 'POST', headers: {'Content-Type': 'application/json',
		'X-CSRF-Token': document.querySelector('meta[name=csrf-token]').content}, body: JSON.stringify(`+string(dj)+`)}).then(r => r.json()).then(j => j.id)`,
		chromedp.EvalAwaitPromise))

	b.run("the order's «Создать шаблон из приказа»", chromedp.Navigate(w.base+"/orders/"+id), click(`#to-template`), visible(`#t-new`))
	if v := b.value(`#t-from`); v != id {
		b.fail("the new template's order: %q, want %s", v, id)
	}
	b.waitJS("the list", `!!document.querySelector('#t-list tr[data-name="platforms-yearly"]')`, 10*time.Second)
	if s := b.text(`#t-list tr[data-name="platforms-yearly"]`); !strings.Contains(s, "поставляется с системой") {
		b.fail("the shipped template in the list: %q", s)
	}
	if cur := b.attr(`nav.menu a[aria-current="page"]`, "href"); cur != "/templates" {
		b.fail("the menu's current item: %q", cur)
	}
	b.checkLabels("templates")
	b.axe("templates")
	b.shot("templates")

	// A problem is shown at its field, in Russian.
	b.run("create without a title", keys(`#t-name`, "platforms-own"), click(`#t-create`), visible(`#t-title-err`))
	if e := b.text(`#t-title-err`); !strings.Contains(e, "не заполнено") {
		b.fail("the title's problem: %q", e)
	}
	b.run("create", keys(`#t-title`, "Площадки на учебный год"), click(`#t-create`), visible(`#t-edit`))
	b.waitJS("version 1", `document.getElementById('t-meta').textContent.includes('версия 1')`, 10*time.Second)
	if !strings.HasSuffix(b.location(), "/templates/platforms-own") {
		b.fail("after creating: %s", b.location())
	}

	// A field and its constant: version 2, the field listed.
	b.run("a field and a constant",
		eval(`(() => { const t = document.getElementById('t-body'); t.value = t.value.replace('2022-2023 учебном', '{учебный_год} учебном'); })()`),
		setValue(`#t-consts`, "учебный_год = 2025-2026"), click(`#t-save`))
	b.waitJS("version 2", `document.getElementById('t-done').textContent.includes('версия 2')`, 10*time.Second)
	if f := b.text(`#t-fields`); !strings.Contains(f, "{учебный_год}") || !strings.Contains(f, "обязательное, графа файла") {
		b.fail("fields: %q", f)
	}
	if c := b.value(`#t-consts`); c != "учебный_год = 2025-2026" {
		b.fail("constants after saving: %q", c)
	}

	// A case that is not one: told at the template's text, with its place, in Russian.
	b.run("a bad case", eval(`(() => { const t = document.getElementById('t-body'); const d = JSON.parse(t.value);
		d.clauses.push({text: 'Контроль возложить на {ответственный:абв}.'}); t.value = JSON.stringify(d, null, 2); })()`), click(`#t-save`))
	b.waitJS("the body's problem", `document.getElementById('t-body-err').textContent.includes('ответственный')`, 10*time.Second)
	if e := b.text(`#t-body-err`); !regexp.MustCompile(`[а-я]`).MatchString(e) || !strings.Contains(e, "clauses[") {
		b.fail("the body's problem: %q", e)
	}
	// A person in the accusative and a date, with constants: the batch form says the case and
	// offers a date input.
	b.run("a case and a date", eval(`(() => { const t = document.getElementById('t-body'); const d = JSON.parse(t.value);
		d.clauses[d.clauses.length - 1].text = 'Контроль возложить на {ответственный:вин} до {дата_отчёта}.'; t.value = JSON.stringify(d, null, 2); })()`),
		setValue(`#t-consts`, "учебный_год = 2025-2026\nответственный = заместитель директора Мартынова Л.Е.\nдата_отчёта = 01.10.2025"), click(`#t-save`))
	b.waitJS("version 3", `document.getElementById('t-done').textContent.includes('версия 3')`, 10*time.Second)

	// Someone saves meanwhile: this page's save is refused and says so.
	st := get(b, "someone else saves", chromedp.Evaluate[int](`fetch('/api/v1/templates/platforms-own').then(r => r.json()).then(t => fetch('/api/v1/templates/platforms-own', {method: 'PUT',
		headers: {'Content-Type': 'application/json', 'X-CSRF-Token': document.querySelector('meta[name=csrf-token]').content},
		body: JSON.stringify({title: 'Чужая правка', mode: t.mode, body: t.body, constants: t.constants, base_version: t.version})})).then(r => r.status)`,
		chromedp.EvalAwaitPromise))
	if st != http.StatusOK {
		b.fail("the other save: %d", st)
	}
	b.run("save over it", setValue(`#t-title`, "Моя правка"), click(`#t-save`))
	b.waitJS("the conflict", `document.getElementById('t-error').textContent.includes('успел сохранить кто-то другой')`, 10*time.Second)
	b.run("reload", chromedp.Reload(), visible(`#t-edit`))
	b.waitJS("four versions", `document.querySelectorAll('#t-versions li').length === 4`, 10*time.Second)
	if v := b.value(`#t-title`); v != "Чужая правка" {
		b.fail("title after the conflict: %q", v)
	}
	b.checkLabels("template")
	b.axe("template")
	b.shot("template")

	// The batch page offers the template, its constant prefilled.
	b.run("batch page", chromedp.Navigate(w.base+"/batches"), visible(`#b-data`))
	b.waitJS("own template offered", `[...document.querySelectorAll('#b-template option')].some(o => o.value === 'platforms-own')`, 10*time.Second)
	b.run("choose it", setValue(`#b-template`, "platforms-own"), eval(`document.getElementById('b-template').dispatchEvent(new Event('change'))`))
	b.waitJS("its constant", `(document.querySelector('[data-const="учебный_год"]') || {}).value === '2025-2026'`, 10*time.Second)
	if h := b.text(`[data-const="ответственный"] ~ [data-testid="case-hint"]`); !strings.Contains(h, "в винительном падеже: кого?") {
		b.fail("the case hint: %q", h)
	}
	if d := b.attr(`[data-const="дата_отчёта"]`, "type") + " " + b.value(`[data-const="дата_отчёта"]`); d != "date 2025-10-01" {
		b.fail("the date field: %q", d)
	}
	b.shotElem("batch-own-template", `#batch-form`)

	b.run("delete", chromedp.Navigate(w.base+"/templates/platforms-own"), visible(`#t-delete`),
		// The page goes to the list after deleting: the question is kept across it.
		eval(`window.confirm = (m) => { sessionStorage.setItem('asked', m); return true; }`), click(`#t-delete`))
	b.waitJS("back to the list", `location.pathname === '/templates' && !!document.querySelector('#t-list tr[data-name="platforms-yearly"]')`, 10*time.Second)
	if get(b, "deleted", chromedp.Evaluate[bool](`!!document.querySelector('#t-list tr[data-name="platforms-own"]')`)) {
		b.fail("the deleted template is still listed")
	}
	if asked := get(b, "delete question", chromedp.Evaluate[string](`sessionStorage.getItem('asked') || ''`)); !strings.Contains(asked, "Удалить шаблон «Чужая правка»") {
		b.fail("delete asked %q", asked)
	}

	// An archivist reads templates and cannot change them.
	b.logout()
	b.login("petrova")
	b.run("templates of an archivist", chromedp.Navigate(w.base+"/templates"), visible(`#t-list tr[data-name="platforms-yearly"]`))
	if n := get(b, "no new-template form", chromedp.Evaluate[int](`document.querySelectorAll('#t-new').length`)); n != 0 {
		b.fail("an archivist is offered a new template")
	}
	b.run("a template of an archivist", click(`#t-list tr[data-name="platforms-yearly"] a`), visible(`#t-edit`))
	b.waitJS("read only", `document.getElementById('t-body').value.includes('{') && document.getElementById('t-body').readOnly && !document.getElementById('t-save')`, 10*time.Second)

	// An admin picks the organization whose templates to see.
	b.logout()
	b.login("admin")
	b.run("templates of an admin", chromedp.Navigate(w.base+"/templates"), visible(`#t-org`),
		setValue(`#t-org`, "chebula"), eval(`document.getElementById('t-org').dispatchEvent(new Event('change'))`))
	b.waitJS("chebula's templates", `!!document.querySelector('#t-list tr[data-name="platforms-yearly"] a[href="/templates/platforms-yearly?organization=chebula"]')`, 10*time.Second)
}

// TestWebEditorDecline: «Вставить лицо…» under a clause puts a person of the acknowledgement
// list into the clause at its caret in the accusative, by keyboard alone: «возложить на» +
// Мартынова → «возложить на заместителя начальника … Л.Е. Мартынову».
func TestWebEditorDecline(t *testing.T) {
	w := startWeb(t)
	b := newBrowser(t, w.base)
	b.login("ivanova")
	b.run("start from the Balashikha example",
		chromedp.Navigate(w.base+"/orders"),
		eval(`localStorage.clear()`),
		chromedp.Navigate(w.base+"/orders/new"),
		visible(`#start-from`),
		eval(`(() => { const s = document.querySelector('#start-from'); s.value = 'balashikha'; s.dispatchEvent(new Event('change', {bubbles: true})); })()`),
		visible(`[data-pick="clauses[0]"]`))
	b.run("a clause that ends with «возложить на»",
		eval(`(() => { const t = document.querySelector('[data-clause="clauses[0]"]'); t.focus(); t.value = 'Контроль за организацией работы возложить на'; t.dispatchEvent(new Event('input', {bubbles: true}));
			t.setSelectionRange(t.value.length, t.value.length); t.dispatchEvent(new KeyboardEvent('keyup', {bubbles: true})); })()`),
		chromedp.Focus(chromedp.CSS(`[data-pick="clauses[0]"]`)),
		chromedp.KeyEvent("\r"),
		visible(`.person-list button[data-person="0"]`))
	if exp := b.attr(`[data-pick="clauses[0]"]`, "aria-expanded"); exp != "true" {
		b.fail("the person list is open but aria-expanded=%q", exp)
	}
	if focused := get(b, "focus on the first person", chromedp.Evaluate[string](`document.activeElement.dataset.person || ''`)); focused != "0" {
		b.fail("focus after opening: person %q", focused)
	}
	b.axe("editor person list")
	b.shotElem("editor-person-pick", `[data-testid="clause"]`)
	b.run("pick by keyboard", chromedp.KeyEvent("\r"))
	const want = "Контроль за организацией работы возложить на заместителя начальника управления по образованию Л.Е. Мартынову"
	b.waitJS("the accusative inserted", `document.querySelector('[data-clause="clauses[0]"]').value === `+strconvQuote(want), 10*time.Second)
	if n := get(b, "list closed", chromedp.Evaluate[int](`document.querySelectorAll('.person-list').length`)); n != 0 {
		b.fail("the person list stays open")
	}
	if f := get(b, "focus back", chromedp.Evaluate[string](`document.activeElement.dataset.clause || ''`)); f != "clauses[0]" {
		b.fail("focus after inserting: %q", f)
	}
	b.waitJS("kept in the draft", `Object.keys(localStorage).some((k) => (localStorage.getItem(k) || '').includes('Л.Е. Мартынову'))`, 10*time.Second)
	// Escape closes the list and gives the focus back to its button.
	b.run("escape", chromedp.Focus(chromedp.CSS(`[data-pick="clauses[1]"]`)), chromedp.KeyEvent("\r"), visible(`.person-list`), chromedp.KeyEvent("\x1b"))
	if f := get(b, "focus after escape", chromedp.Evaluate[string](`(document.activeElement.dataset.pick || '') + '|' + document.querySelectorAll('.person-list').length`)); f != "clauses[1]|0" {
		b.fail("after Escape: %q", f)
	}
}

func strconvQuote(s string) string { q, _ := json.Marshal(s); return string(q) }
