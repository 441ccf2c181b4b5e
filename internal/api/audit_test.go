package api

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"orders/internal/audit"
	"orders/internal/auth"
	"orders/internal/blob/fsstore"
	"orders/internal/queue"
	"orders/internal/registry"
	"orders/internal/registry/sqlite"
)

// auditQueue takes render jobs and forgets them: nothing here renders.
type auditQueue struct{}

func (auditQueue) Publish(context.Context, queue.Job, string) (bool, error) { return false, nil }
func (auditQueue) Enqueue(queue.Job, string) error                          { return nil }
func (auditQueue) Depth(context.Context) (uint64, error)                    { return 0, nil }

// auditEnv serves the API over a SQLite registry keyed as ordersd keys it (the chain key
// derived from the secret key), with raw access to the database for tampering.
type auditEnv struct {
	t      *testing.T
	h      http.Handler
	store  *sqlite.Store
	blobs  *fsstore.Store
	dsn    string
	tokens map[string]string
}

func newAuditEnv(t *testing.T) *auditEnv {
	t.Helper()
	dir := t.TempDir()
	ctx := context.Background()
	secret := bytes.Repeat([]byte{5}, 32)
	chainKey, _, err := audit.Keys(secret)
	if err != nil {
		t.Fatal(err)
	}
	e := &auditEnv{t: t, dsn: filepath.Join(dir, "registry.db"), tokens: map[string]string{}}
	if e.store, err = sqlite.Open(ctx, e.dsn, registry.WithAuditKey(chainKey)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.store.Close() })
	if e.blobs, err = fsstore.New(filepath.Join(dir, "documents")); err != nil {
		t.Fatal(err)
	}
	e.h = New(Config{Store: e.store, Blobs: e.blobs, Queue: auditQueue{}, SecretKey: secret,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}).Handler()
	for _, tk := range []struct{ role, org string }{{roleAdmin, ""}, {roleHead, "org-a"}, {roleArchivist, "org-a"}, {roleClerk, "org-a"}} {
		s, err := auth.NewSecret()
		if err != nil {
			t.Fatal(err)
		}
		if err := e.store.CreateToken(ctx, &registry.Token{Hash: auth.HashToken(s), Role: tk.role, OrgID: tk.org}); err != nil {
			t.Fatal(err)
		}
		e.tokens[tk.role] = s
	}
	for i := range 10 {
		if err := e.store.AppendAudit(ctx, &registry.AuditEntry{OrgID: "org-a", Actor: "clerk", Action: "download-signed",
			Details: fmt.Appendf(nil, `{"i":%d}`, i)}); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

func (e *auditEnv) do(method, path, role string) (int, map[string]any) {
	e.t.Helper()
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(method, path, nil)
	req.Header.Set("Authorization", "Bearer "+e.tokens[role])
	e.h.ServeHTTP(rec, req)
	var body map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		e.t.Fatalf("%s %s: %d %s", method, path, rec.Code, rec.Body)
	}
	return rec.Code, body
}

func (e *auditEnv) raw(statements ...string) {
	e.t.Helper()
	db, err := sql.Open("sqlite", e.dsn+"?_pragma=busy_timeout(10000)")
	if err != nil {
		e.t.Fatal(err)
	}
	defer db.Close()
	for _, s := range statements {
		if _, err := db.Exec(s); err != nil {
			e.t.Fatalf("%s: %v", s, err)
		}
	}
}

func (e *auditEnv) chain() []registry.AuditEntry {
	list, err := e.store.ListAudit(context.Background(), "org-a", nil, registry.MaxLimit)
	if err != nil {
		e.t.Fatal(err)
	}
	slices.Reverse(list)
	return list
}

func num(v any) int64 { f, _ := v.(float64); return int64(f) }

func TestCheckpointHandler(t *testing.T) {
	e := newAuditEnv(t)
	for _, c := range []struct {
		name, path, role string
		code             int
		detail           string
	}{
		{"head may not", "/api/v1/audit/checkpoint", roleHead, http.StatusForbidden, ""},
		{"archivist may not", "/api/v1/audit/checkpoint", roleArchivist, http.StatusForbidden, ""},
		{"admin must name the organization", "/api/v1/audit/checkpoint", roleAdmin, http.StatusBadRequest, "organization"},
		{"written", "/api/v1/audit/checkpoint?organization=org-a", roleAdmin, http.StatusCreated, ""},
		{"unchanged", "/api/v1/audit/checkpoint?organization=org-a", roleAdmin, http.StatusOK, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, body := e.do("POST", c.path, c.role)
			if code != c.code {
				t.Fatalf("code %d, want %d: %v", code, c.code, body)
			}
			if c.detail != "" && !strings.Contains(fmt.Sprint(body["detail"]), c.detail) {
				t.Errorf("detail %q lacks %q", body["detail"], c.detail)
			}
			if code < 300 {
				cp, _ := body["checkpoint"].(map[string]any)
				if body["written"] != (code == http.StatusCreated) || num(cp["seq"]) != 10 || cp["state"] != "valid" || cp["at"] == nil {
					t.Errorf("answer %v", body)
				}
			}
		})
	}
	// A trail that does not check out gets no checkpoint, and the answer says where.
	e.raw(`UPDATE audit SET actor = 'mallory' WHERE org_id = 'org-a' AND seq = 4`)
	code, body := e.do("POST", "/api/v1/audit/checkpoint?organization=org-a", roleAdmin)
	if code != http.StatusConflict || !strings.Contains(fmt.Sprint(body["detail"]), "№ 4") {
		t.Errorf("checkpoint of a tampered trail: %d %v", code, body)
	}
}

// TestVerifyHandler: each tampering shows in GET /audit/verify, with where and how, in words.
func TestVerifyHandler(t *testing.T) {
	cases := []struct {
		name       string
		checkpoint bool // written before the tampering
		tamper     func(e *auditEnv)
		intact     bool
		brokenAt   int64
		problem    string
		state      string
		detail     string
	}{
		{name: "intact, no checkpoint yet", tamper: func(*auditEnv) {}, intact: true, state: "absent", detail: "проверено записей: 10"},
		{name: "intact", checkpoint: true, tamper: func(*auditEnv) {}, intact: true, state: "valid", detail: "проверено записей: 10"},
		{name: "details rewritten, chain recomputed without the key", checkpoint: true, tamper: func(e *auditEnv) {
			list := e.chain()
			list[5].Details = []byte(`{"i":99}`)
			var stmts []string
			for i := 5; i < len(list); i++ {
				list[i].PrevHash = list[i-1].Hash
				list[i].Hash = registry.AuditHash(&list[i])
				stmts = append(stmts, fmt.Sprintf(`UPDATE audit SET details = CAST('%s' AS BLOB), prev_hash = '%s', hash = '%s' WHERE org_id = 'org-a' AND seq = %d`,
					list[i].Details, list[i].PrevHash, list[i].Hash, list[i].Seq))
			}
			stmts = append(stmts, fmt.Sprintf(`UPDATE audit_heads SET hash = '%s' WHERE org_id = 'org-a'`, list[9].Hash))
			e.raw(stmts...)
		}, brokenAt: 6, problem: registry.AuditEdited, state: "valid", detail: "запись № 6 изменена"},
		{name: "end cut, head row put back", checkpoint: true, tamper: func(e *auditEnv) {
			list := e.chain()
			e.raw(`DELETE FROM audit WHERE org_id = 'org-a' AND seq > 7`,
				fmt.Sprintf(`UPDATE audit_heads SET seq = 7, hash = '%s' WHERE org_id = 'org-a'`, list[6].Hash))
		}, brokenAt: 8, problem: registry.AuditCut, state: "valid", detail: "записи с № 8 удалены"},
		{name: "end cut, no checkpoint", tamper: func(e *auditEnv) {
			list := e.chain()
			e.raw(`DELETE FROM audit WHERE org_id = 'org-a' AND seq > 7`,
				fmt.Sprintf(`UPDATE audit_heads SET seq = 7, hash = '%s' WHERE org_id = 'org-a'`, list[6].Hash))
		}, intact: true, state: "absent", detail: "проверено записей: 7"},
		{name: "forged checkpoint", checkpoint: true, tamper: func(e *auditEnv) {
			name := audit.Name("org-a")
			data, err := e.blobs.GetNamed(context.Background(), name)
			if err != nil {
				t.Fatal(err)
			}
			data = bytes.Replace(data, []byte(`"seq": 10`), []byte(`"seq": 7`), 1)
			if err := e.blobs.PutNamed(context.Background(), name, data); err != nil {
				t.Fatal(err)
			}
		}, state: "tampered", detail: "контрольная точка подделана"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := newAuditEnv(t)
			if c.checkpoint {
				if code, body := e.do("POST", "/api/v1/audit/checkpoint?organization=org-a", roleAdmin); code != http.StatusCreated {
					t.Fatalf("checkpoint: %d %v", code, body)
				}
			}
			c.tamper(e)
			for _, role := range []string{roleArchivist, roleHead} {
				code, body := e.do("GET", "/api/v1/audit/verify", role)
				if code != http.StatusOK {
					t.Fatalf("%s: %d %v", role, code, body)
				}
				cp, _ := body["checkpoint"].(map[string]any)
				if body["intact"] != c.intact || num(body["broken_at"]) != c.brokenAt || (body["problem"] != nil) != (c.problem != "") ||
					(c.problem != "" && body["problem"] != c.problem) || cp["state"] != c.state {
					t.Errorf("%s: %v", role, body)
				}
				if !strings.Contains(fmt.Sprint(body["detail"]), c.detail) {
					t.Errorf("detail %q lacks %q", body["detail"], c.detail)
				}
				if cp["detail"] == "" {
					t.Errorf("checkpoint without a detail: %v", cp)
				}
			}
			code, body := e.do("GET", "/api/v1/audit/verify?organization=org-a", roleAdmin)
			if code != http.StatusOK || body["intact"] != c.intact {
				t.Errorf("admin: %d %v", code, body)
			}
			if code, _ := e.do("GET", "/api/v1/audit/verify", roleClerk); code != http.StatusForbidden {
				t.Errorf("clerk: %d", code)
			}
		})
	}
}

// TestVerifyWithoutSecretKey: without the secret key nothing can be checked, and the answer
// says why rather than calling the trail intact.
func TestVerifyWithoutSecretKey(t *testing.T) {
	e := newAuditEnv(t)
	e.h = New(Config{Store: e.store, Blobs: e.blobs, Queue: auditQueue{}, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}).Handler()
	code, body := e.do("GET", "/api/v1/audit/verify", roleArchivist)
	if code != http.StatusInternalServerError || !strings.Contains(fmt.Sprint(body["detail"]), "ORDERS_SECRET_KEY") {
		t.Errorf("%d %v", code, body)
	}
}
