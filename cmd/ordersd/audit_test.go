package main

import (
	"database/sql"
	"fmt"
	"net/http"
	"path/filepath"
	"testing"
	"time"
)

type auditVerdict struct {
	Intact     bool   `json:"intact"`
	BrokenAt   int64  `json:"broken_at"`
	Problem    string `json:"problem"`
	Detail     string `json:"detail"`
	Checkpoint struct {
		State string `json:"state"`
		Seq   int64  `json:"seq"`
	} `json:"checkpoint"`
}

// TestAuditAcrossRestarts: the service keys its audit trail with a key from its secret key,
// writes checkpoints on demand and at start, and after a restart sees entries cut from the
// end of the trail in the database while it was down — without writing a checkpoint over
// the evidence.
func TestAuditAcrossRestarts(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(t, dir)
	svc, admin := startService(t, cfg)
	setupOrg(t, admin, cfg, "balashikha")
	archivist := &client{t: t, base: admin.base, token: createToken(t, cfg, "balashikha", "archivist")}
	for range 5 {
		archivist.do("GET", "/api/v1/archive/export?date_from=2022-01-01&date_to=2022-12-31", "", nil)
	}
	var v auditVerdict
	archivist.json("GET", "/api/v1/audit/verify", nil, http.StatusOK, &v)
	if !v.Intact || v.Checkpoint.State != "absent" {
		t.Fatalf("before any checkpoint: %+v", v)
	}
	// A start writes the checkpoints of every trail.
	svc.Close()
	svc, admin = startService(t, cfg)
	archivist.base = admin.base
	deadline := time.Now().Add(10 * time.Second)
	for archivist.json("GET", "/api/v1/audit/verify", nil, http.StatusOK, &v); v.Checkpoint.State != "valid"; archivist.json("GET", "/api/v1/audit/verify", nil, http.StatusOK, &v) {
		if time.Now().After(deadline) {
			t.Fatalf("no checkpoint written at start: %+v", v)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !v.Intact || v.Checkpoint.Seq != 5 {
		t.Fatalf("after the start: %+v", v)
	}
	// On demand: nothing new when the head is the checkpoint's, a new one when it moved.
	admin.json("POST", "/api/v1/audit/checkpoint?organization=balashikha", nil, http.StatusOK, nil)
	archivist.do("GET", "/api/v1/archive/export?date_from=2022-01-01&date_to=2022-12-31", "", nil)
	admin.json("POST", "/api/v1/audit/checkpoint?organization=balashikha", nil, http.StatusCreated, nil)
	archivist.json("GET", "/api/v1/audit/verify", nil, http.StatusOK, &v)
	if !v.Intact || v.Checkpoint.State != "valid" || v.Checkpoint.Seq != 6 {
		t.Fatalf("after the checkpoint: %+v", v)
	}
	svc.Close()

	db, err := sql.Open("sqlite", filepath.Join(dir, "registry.db")+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var keyed int
	if err := db.QueryRow(`SELECT count(*) FROM audit WHERE org_id = 'balashikha' AND scheme = 2`).Scan(&keyed); err != nil || keyed != 6 {
		t.Fatalf("keyed entries: %d, %v; want 6", keyed, err)
	}
	// While the service is down, someone with the database cuts the last two entries and
	// puts the head row back in line.
	var hash string
	if err := db.QueryRow(`SELECT hash FROM audit WHERE org_id = 'balashikha' AND seq = 3`).Scan(&hash); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{
		`DELETE FROM audit WHERE org_id = 'balashikha' AND seq > 3`,
		fmt.Sprintf(`UPDATE audit_heads SET seq = 3, hash = '%s' WHERE org_id = 'balashikha'`, hash),
	} {
		if _, err := db.Exec(s); err != nil {
			t.Fatal(err)
		}
	}

	_, admin = startService(t, cfg)
	archivist.base = admin.base
	archivist.json("GET", "/api/v1/audit/verify", nil, http.StatusOK, &v)
	if v.Intact || v.BrokenAt != 4 || v.Problem != "cut" || v.Checkpoint.State != "valid" || v.Checkpoint.Seq != 6 {
		t.Errorf("after the cut: %+v", v)
	}
	admin.json("POST", "/api/v1/audit/checkpoint?organization=balashikha", nil, http.StatusConflict, nil)
}
