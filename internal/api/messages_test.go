package api

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"software.sslmate.com/src/go-pkcs12"

	"orders/internal/order"
)

// msgServer is the API on a real SQLite registry, with a token per role of "balashikha"
// and an admin token.
type msgServer struct {
	t      *testing.T
	h      http.Handler
	tokens map[string]string
}

func newMsgServer(t *testing.T) *msgServer {
	t.Helper()
	return newFaultServer(t, nil, nil)
}

func (ms *msgServer) do(role, method, path string, body any) (int, Problem, []byte) {
	ms.t.Helper()
	var rd io.Reader
	ctype := "application/json"
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			ms.t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req := httptest.NewRequest(method, path, rd)
	if rd != nil {
		req.Header.Set("Content-Type", ctype)
	}
	if tok := ms.tokens[role]; tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	} else if role != "" {
		req.Header.Set("Authorization", "Bearer "+role)
	}
	rec := httptest.NewRecorder()
	ms.h.ServeHTTP(rec, req)
	var p Problem
	if rec.Header().Get("Content-Type") == problemType {
		if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
			ms.t.Fatalf("%s %s: problem body: %v", method, path, err)
		}
	}
	return rec.Code, p, rec.Body.Bytes()
}

func exampleDraft(t testing.TB) map[string]any {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "templates", "examples", "balashikha.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	delete(m, "number")
	delete(m, "date")
	return m
}

// p12 is a PKCS#12 container with a self-signed certificate, locked with password.
func p12(t *testing.T, password string) []byte {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "Зубова Анна Николаевна"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	data, err := pkcs12.Modern.Encode(key, cert, nil, password)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// english finds an English sentence in a message: a function word of English between
// other words. JSON paths, field names and values (journal, per_row) are not sentences.
var english = regexp.MustCompile(`(?i)\b(the|is|not|no|must|cannot|only|empty|required|problem\(s\)|may|has|have|was|failed|unknown|such|conflict|invalid)\b`)

// TestProblemsSayWhatHappened: every refusal a person reads says what happened in plain
// Russian, with the data at hand — not «registry: conflict» for a repeated acknowledgement
// or «the draft has 1 problem(s)» for a wrong certificate password.
func TestProblemsSayWhatHappened(t *testing.T) {
	ms := newMsgServer(t)
	lh := exampleDraft(t)["letterhead"]
	if code, _, body := ms.do(roleAdmin, "PUT", "/api/v1/organizations/balashikha", lh); code != http.StatusOK {
		t.Fatalf("organization: %d %s", code, body)
	}
	var acc struct{ ID string }
	code, _, body := ms.do(roleClerk, "POST", "/api/v1/orders", exampleDraft(t))
	if code != http.StatusAccepted || json.Unmarshal(body, &acc) != nil {
		t.Fatalf("order: %d %s", code, body)
	}
	order := "/api/v1/orders/" + acc.ID

	steps := []struct {
		name         string
		role         string
		method, path string
		body         any
		code         int
		detail       string // the answer's detail contains this
		message      string // and its first listed problem, if any, this
	}{
		{"invalid draft", roleClerk, "POST", "/api/v1/orders", map[string]any{"title": "", "clauses": []any{map[string]any{"text": ""}}},
			422, "в запросе ", "не заполнено"},
		{"not JSON", roleClerk, "POST", "/api/v1/orders", []byte(`{"title": `), 400, "это не JSON", ""},
		{"wrong certificate password", roleAdmin, "PUT", "/api/v1/organizations/balashikha/signing",
			map[string]any{"data": p12(t, "верный"), "password": "неверный"}, 422, "неверный пароль сертификата", "неверный пароль"},
		{"not a key container", roleAdmin, "PUT", "/api/v1/organizations/balashikha/signing",
			map[string]any{"data": []byte("hello")}, 422, "файл не является контейнером PKCS#12", ""},
		{"document not rendered", roleClerk, "GET", order + "/document.pdf", nil, 409, "документ ещё не готов: ждёт формирования в очереди", ""},
		{"sign a draft", roleHead, "POST", order + "/sign", []byte(`{}`), 409, "подписать можно только зарегистрированный приказ, а этот проект", ""},
		{"register without journal", roleHead, "POST", order + "/register", map[string]any{}, 422, "journal: не указан журнал", ""},
		{"register with unknown field", roleHead, "POST", order + "/register", map[string]any{"jornal": "main"}, 400, "запрос не разобран: неизвестное поле «jornal»", ""},
		{"register with a bad date", roleHead, "POST", order + "/register", map[string]any{"journal": "main", "date": "22.09.2022"}, 422, "не дата: «22.09.2022»", ""},
		{"register in an unknown journal", roleHead, "POST", order + "/register", map[string]any{"journal": "nope"}, 422, "журнала «nope» нет у этой организации", ""},
		{"clerk registers", roleClerk, "POST", order + "/register", map[string]any{"journal": "main"}, 403, "роли «делопроизводитель» это действие недоступно", ""},
		{"bad number format", roleHead, "PUT", "/api/v1/journals/main", map[string]any{"name": "основной", "format": "№ seq"}, 422, "формат номера «№ seq» не подходит", ""},
		{"journal", roleHead, "PUT", "/api/v1/journals/main", map[string]any{"name": "по основной деятельности", "format": "{seq}",
			"starts": map[string]int{"2022": 1355}}, 200, "", ""},
		{"register", roleHead, "POST", order + "/register", map[string]any{"journal": "main", "date": "2022-09-22"}, 200, "", ""},
		{"register again", roleHead, "POST", order + "/register", map[string]any{"journal": "main"}, 409,
			"нельзя зарегистрировать приказ: он зарегистрирован; зарегистрировать можно только проект", ""},
		{"edit a registered order", roleClerk, "PUT", order, exampleDraft(t), 409, "нельзя изменить приказ: он зарегистрирован", ""},
		{"journal start already passed", roleHead, "PUT", "/api/v1/journals/main", map[string]any{"name": "по основной деятельности", "format": "{seq}",
			"starts": map[string]int{"2022": 1}}, 409, "starts.2022: в 2022 году уже выдан номер 1355; начать нумерацию с 1 нельзя", ""},
		{"sign without certificate", roleHead, "POST", order + "/sign", []byte(`{}`), 409, "у организации «balashikha» нет сертификата подписи", ""},
		{"signed.pdf of an unsigned order", roleClerk, "GET", order + "/signed.pdf", nil, 409, "приказ не подписан", ""},
		{"acknowledgement", roleClerk, "POST", order + "/acknowledgements", map[string]any{"person": "Л.Е. Мартынова", "date": "2022-09-23"}, 200, "", ""},
		{"acknowledgement again", roleClerk, "POST", order + "/acknowledgements", map[string]any{"person": "Л.Е. Мартынова"}, 409,
			"ознакомление уже записано: Л.Е. Мартынова, 23.09.2022; повторно его не записывают", ""},
		{"acknowledgement of a stranger", roleClerk, "POST", order + "/acknowledgements", map[string]any{"person": "Посторонний"}, 422,
			"person: «Посторонний» нет в списке ознакомления этого приказа", ""},
		{"cancel without reason", roleHead, "POST", order + "/cancel", map[string]any{"reason": " "}, 422, "reason: не указана причина отмены", ""},
		{"cancel", roleHead, "POST", order + "/cancel", map[string]any{"reason": "издан ошибочно"}, 200, "", ""},
		{"cancel again", roleHead, "POST", order + "/cancel", map[string]any{"reason": "ещё раз"}, 409, "нельзя отменить приказ: он отменён", ""},
		{"no such order", roleClerk, "GET", "/api/v1/orders/00000000-0000-0000-0000-000000000001", nil, 404, "такого приказа нет", ""},
		{"not an order id", roleClerk, "GET", "/api/v1/orders/1355", nil, 404, "такого приказа нет", ""},
		{"no such organization", roleAdmin, "GET", "/api/v1/organizations/nowhere", nil, 404, "организации «nowhere» нет в справочнике", ""},
		{"bad organization id", roleAdmin, "PUT", "/api/v1/organizations/Б", lh, 400, "идентификатор организации «Б»", ""},
		{"archive with a bad state", roleClerk, "GET", "/api/v1/archive?state=done", nil, 400, "state: неизвестное состояние «done»; бывают draft (проект)", ""},
		{"archive with a bad limit", roleClerk, "GET", "/api/v1/archive?limit=0", nil, 400, "limit: нужно число от 1 до", ""},
		{"audit without organization", roleAdmin, "GET", "/api/v1/audit", nil, 400, "с токеном администратора укажите организацию", ""},
		{"unknown token", "nonsense", "GET", "/api/v1/orders", nil, 401, "токен API не найден", ""},
		{"no token", "", "GET", "/api/v1/orders", nil, 401, "нужен токен API", ""},
		{"no such route", roleClerk, "GET", "/api/v1/nothing", nil, 404, "нет такого адреса: /api/v1/nothing", ""},
		{"wrong content type", roleClerk, "POST", "/api/v1/orders", nil, 415, "тело запроса должно быть JSON", ""},
		{"batch with a bad mode", roleClerk, "POST", "/api/v1/batches", map[string]any{"template_name": "platforms-yearly", "rows": []any{map[string]any{}}, "mode": "many"},
			422, "mode: неизвестный режим «many»", ""},
		{"batch registered by a clerk", roleClerk, "POST", "/api/v1/batches", map[string]any{"template_name": "platforms-yearly", "rows": []any{map[string]any{}}, "journal": "main"},
			403, "роль «делопроизводитель» не регистрирует приказы", ""},
	}
	for _, st := range steps {
		code, p, body := ms.do(st.role, st.method, st.path, st.body)
		if code != st.code {
			t.Errorf("%s: %d %s, want %d", st.name, code, body, st.code)
			continue
		}
		if st.detail == "" {
			continue
		}
		if !strings.Contains(p.Detail, st.detail) {
			t.Errorf("%s: detail %q, want it to say %q", st.name, p.Detail, st.detail)
		}
		if st.message != "" && (len(p.Errors) == 0 || !strings.Contains(p.Errors[0].Message, st.message)) {
			t.Errorf("%s: problems %+v, want the first to say %q", st.name, p.Errors, st.message)
		}
		for _, text := range append([]string{p.Detail}, messages(p.Errors)...) {
			if w := english.FindString(text); w != "" {
				t.Errorf("%s: %q reads English (%q)", st.name, text, w)
			}
		}
	}
}

func messages(ps order.Problems) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Message
	}
	return out
}
