package main

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestWebApprovalRoute is issue 17's route through the pages: a clerk drafts, two approvers in
// order (the second returns it with a remark), a new version with its diff, both agree, the
// head registers (the organization requires a completed route) and signs, and the office copy
// carries the Лист согласования.
func TestWebApprovalRoute(t *testing.T) {
	w := startWeb(t)
	addUser(t, w.cfg, "petrov", "head", "balashikha", "Петров П.П.")
	addUser(t, w.cfg, "sidorova", "clerk", "balashikha", "Сидорова С.С.")
	b := newBrowser(t, w.base)

	// The head requires a completed route before registering.
	b.login("zubova")
	b.run("the rule", chromedp.Navigate(w.base+"/approvals"), visible(`#approval-required`), click(`#approval-required`))
	b.waitJS("rule saved", `document.getElementById('rule-msg').textContent.includes('Сохранено')`, 10*time.Second)
	b.checkLabels("approvals")
	var rule struct{ Required bool }
	w.admin.json("GET", "/api/v1/organizations/balashikha/approval", nil, http.StatusOK, &rule)
	if !rule.Required {
		t.Fatal("the rule set on the page is not stored")
	}
	b.logout()

	b.login("ivanova")
	b.run("draft",
		chromedp.Navigate(w.base+"/orders/new"),
		visible(`#f-title`),
		keys(`#f-title`, "О проведении методического совета"),
		keys(`#f-clauses-0-text`, "Провести методический совет 20 марта 2026 года"),
		keys(`#f-signatory-position`, "Начальник управления по образованию"),
		keys(`#f-signatory-name`, "А.Н. Зубова"),
		click(`#submit-btn`),
		visible(`#status`))
	id := regexp.MustCompile(`/orders/([0-9a-f-]{36})$`).FindStringSubmatch(b.location())
	if id == nil {
		b.fail("after submit at %s", b.location())
	}
	orderURL := w.base + "/orders/" + id[1]
	b.run("send to two approvers in order",
		visible(`#send-form`),
		setValue(`#approver-login-0`, "petrov"), setValue(`#approver-position-0`, "Заместитель начальника управления"),
		click(`#send-form button.btn:not(.btn-primary)`),
		visible(`#approver-login-1`),
		setValue(`#approver-login-1`, "sidorova"), setValue(`#approver-position-1`, "Юрисконсульт"),
		click(`#send-approval`))
	b.waitJS("on approval", `(document.getElementById('route-status') || {}).dataset?.status === 'in_progress'`, 10*time.Second)
	b.shotElem("approval-sent", `[data-testid="approval"]`)
	// Taken back (say, to fix a typo before anyone answered) and sent again with the same people.
	b.run("withdraw", eval(`window.confirm = () => true`), click(`#withdraw-approval`))
	b.waitJS("withdrawn", `document.getElementById('route-status').dataset.status === 'withdrawn' && !!document.getElementById('send-form')`, 10*time.Second)
	if v := b.value(`#approver-login-1`); v != "sidorova" {
		b.fail("the withdrawn route's approvers are not filled in: %q", v)
	}
	b.run("send again", click(`#send-approval`))
	b.waitJS("on approval again", `document.getElementById('route-status').dataset.status === 'in_progress'`, 10*time.Second)

	// In order: the lawyer waits for the deputy.
	b.logout()
	b.login("sidorova")
	b.run("nothing yet for the second", chromedp.Navigate(w.base+"/approvals"), visible(`[data-testid="pending-empty"]`))
	b.logout()
	b.login("petrov")
	b.run("the deputy's list", chromedp.Navigate(w.base+"/approvals"), visible(`[data-testid="pending"]`),
		click(`[data-testid="pending"] a[href="/orders/`+id[1]+`"]`), visible(`#visa-form`),
		click(`#visa-approve`))
	b.waitJS("deputy's visa", `document.querySelector('[data-testid="visas"] tr[data-login="petrov"]').textContent.includes('Согласовано')`, 10*time.Second)
	b.logout()
	b.login("sidorova")
	b.run("the lawyer returns it", chromedp.Navigate(w.base+"/approvals"), visible(`[data-testid="pending"]`),
		chromedp.Navigate(orderURL), visible(`#visa-form`),
		click(`#visa-reject`))
	b.waitJS("a remark is required", `document.getElementById('visa-msg').textContent.includes('remark')`, 10*time.Second)
	b.run("with the remark", keys(`#visa-remark`, "Уточнить время проведения"), click(`#visa-reject`))
	b.waitJS("returned", `document.getElementById('route-status').dataset.status === 'returned'`, 10*time.Second)
	b.shotElem("approval-returned", `[data-testid="approval"]`)

	// A returned draft is not registered: the register transition says why.
	b.logout()
	b.login("zubova")
	b.run("order page", chromedp.Navigate(orderURL), visible(`#register-btn`))
	b.waitJS("journals", `[...document.querySelectorAll('#reg-journal option')].some(o => o.value === 'main')`, 10*time.Second)
	b.run("register a returned draft", eval(`window.confirm = () => true`), setValue(`#reg-journal`, "main"), click(`#register-btn`))
	b.waitJS("refused", `document.querySelector('#actions-body .err').textContent.includes('только согласованные проекты')`, 10*time.Second)

	// The clerk makes a new version; the page shows the two versions and what changed.
	b.logout()
	b.login("ivanova")
	b.run("edit", chromedp.Navigate(orderURL+"/edit"), visible(`#f-clauses-0-text`),
		chromedp.Clear(chromedp.CSS(`#f-clauses-0-text`)),
		keys(`#f-clauses-0-text`, "Провести методический совет 20 марта 2026 года в 14:00"),
		click(`#submit-btn`))
	b.waitJS("back on the order page", `location.pathname === '/orders/`+id[1]+`' && !!document.getElementById('diff')`, 15*time.Second)
	b.waitJS("diff", `[...document.querySelectorAll('#diff ins')].some(n => n.textContent.includes('14:00'))`, 10*time.Second)
	if n := get(b, "versions", chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="version-list"] tbody tr').length`)); n != 2 {
		b.fail("versions listed: %d, want 2", n)
	}
	b.shotElem("versions-diff", `[data-testid="versions"]`)
	b.checkLabels("order page with versions")
	b.run("send again, all at once", visible(`#send-form`))
	if v := b.value(`#approver-login-1`); v != "sidorova" {
		b.fail("the returned route's approvers are not filled in: %q", v)
	}
	b.run("parallel", setValue(`#approval-mode`, "parallel"), click(`#send-approval`))
	b.waitJS("round 2", `document.getElementById('route-status').dataset.status === 'in_progress' && document.getElementById('approval').textContent.includes('Круг 3, версия 2')`, 10*time.Second)

	for _, who := range []string{"sidorova", "petrov"} {
		b.logout()
		b.login(who)
		b.run(who+" opens the pending draft", chromedp.Navigate(w.base+"/approvals"),
			click(`[data-testid="pending"] a[href="/orders/`+id[1]+`"]`), visible(`#visa-form`))
		if who == "sidorova" {
			b.run("with remarks", keys(`#visa-remark`, "Указать аудиторию"), click(`#visa-remarks`))
		} else {
			b.run("agrees", click(`#visa-approve`))
		}
		b.waitJS(who+"'s visa", `!document.getElementById('visa-form')`, 10*time.Second)
	}
	b.waitJS("approved", `document.getElementById('route-status').dataset.status === 'approved'`, 10*time.Second)

	b.logout()
	b.login("zubova")
	b.run("order page", chromedp.Navigate(orderURL), visible(`#register-btn`))
	b.waitJS("journals", `[...document.querySelectorAll('#reg-journal option')].some(o => o.value === 'main')`, 10*time.Second)
	b.run("register", eval(`window.confirm = () => true`), setValue(`#reg-journal`, "main"), click(`#register-btn`))
	b.waitJS("registered", `document.getElementById('state').dataset.state === 'registered'`, 20*time.Second)
	b.waitJS("rendered again", `document.getElementById('status').dataset.status === 'rendered' && !!document.getElementById('sign-btn')`, 60*time.Second)
	b.run("sign", click(`#sign-btn`))
	b.waitJS("signed", `document.getElementById('state').dataset.state === 'signed' && !!document.querySelector('a[data-doc="signed"]')`, 30*time.Second)
	b.waitJS("audit", `['отправлен на согласование', 'отозван с согласования', 'виза', 'не согласовано: Уточнить время', 'новая версия проекта', 'регистрация', 'подписание'].every(w => document.getElementById('audit').textContent.includes(w))`, 10*time.Second)
	b.shot("order-approved-signed")

	hc := b.httpClient()
	for _, doc := range []string{"document.pdf", "signed.pdf"} {
		resp, err := hc.Get(w.base + "/api/v1/orders/" + id[1] + "/" + doc)
		if err != nil {
			t.Fatal(err)
		}
		pdf, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d", doc, resp.StatusCode)
		}
		text := strings.Join(strings.Fields(pdfText(t, pdf)), " ")
		// Table cells wrap in pdftotext's reading order: look for words that fit one line.
		for _, want := range []string{"ЛИСТ СОГЛАСОВАНИЯ", "к приказу от", "Заместитель", "Петров П.П. Согласовано", "Юрисконсульт",
			"Сидорова С.С. Согласовано с Указать аудиторию", "замечаниями"} {
			if !strings.Contains(text, want) {
				t.Errorf("%s lacks %q:\n%s", doc, want, text)
			}
		}
		if strings.Contains(text, "Уточнить время") {
			t.Errorf("%s prints the returned round's remark", doc)
		}
	}
	// The DOCX of the office copy carries the same sheet.
	resp, err := hc.Get(w.base + "/api/v1/orders/" + id[1] + "/document.docx")
	if err != nil {
		t.Fatal(err)
	}
	docx, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	body := docxBody(t, docx)
	for _, want := range []string{"ЛИСТ СОГЛАСОВАНИЯ", "Заместитель начальника управления", "Согласовано с замечаниями", "Указать аудиторию"} {
		if !strings.Contains(body, want) {
			t.Errorf("document.docx lacks %q", want)
		}
	}
}
