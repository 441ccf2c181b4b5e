package audit

import (
	"context"
	"fmt"
	"testing"

	"orders/internal/registry"
)

// BenchmarkVerify: checking a 10,000-entry trail against its checkpoint on SQLite, as GET
// /audit/verify and every checkpoint write do (reading the entries included).
func BenchmarkVerify(b *testing.B) {
	e := newEnv(b)
	ctx := context.Background()
	const n = 10_000
	for i := range n {
		if err := e.store.AppendAudit(ctx, &registry.AuditEntry{OrgID: "org-a", Actor: "head:Иванова", Action: "register",
			Details: fmt.Appendf(nil, `{"number":"%d-к","date":"2026-03-02","journal":"main","seq":%d}`, i, i)}); err != nil {
			b.Fatal(err)
		}
	}
	if _, _, _, err := e.cp.Write(ctx, "org-a"); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		v, err := e.cp.Verify(ctx, "org-a")
		if err != nil || !v.Intact() {
			b.Fatal(v, err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "ms/verify")
}
