package api

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"syscall"
	"testing"

	"github.com/google/uuid"

	"orders/internal/registry"
)

// acceptAll is a registry that takes every new order without storing it, so a benchmark of
// intake measures the handler's own work (decode, validation, layout, search text) and not
// SQLite's fsync.
type acceptAll struct{ registry.Store }

func (acceptAll) CreateOrder(_ context.Context, o *registry.Order) (bool, error) {
	o.ID = uuid.New()
	return true, nil
}

// BenchmarkIntake is POST /orders of the Balashikha draft through the router: the CPU of one
// accepted order without the registry's write (see acceptAll).
//
//	go test -run '^$' -bench Intake -benchmem -cpu 1 -count 6 ./internal/api
func BenchmarkIntake(b *testing.B) {
	h := newHarness(b, harnessOptions{store: func(st registry.Store) registry.Store { return acceptAll{st} }})
	body, err := json.Marshal(exampleDraft(b))
	if err != nil {
		b.Fatal(err)
	}
	tok := h.token("balashikha", roleClerk)
	b.ReportAllocs()
	var before, after syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &before)
	for b.Loop() {
		rec := h.do(b.Context(), "POST", "/api/v1/orders", tok, bytes.NewReader(body), "application/json")
		if rec.Code != http.StatusAccepted {
			b.Fatalf("%d %s", rec.Code, rec.Body.Bytes())
		}
	}
	// CPU time, not the wall clock: on a machine shared with other jobs ns/op counts the
	// waits for a CPU too.
	syscall.Getrusage(syscall.RUSAGE_SELF, &after)
	cpu := after.Utime.Nano() + after.Stime.Nano() - before.Utime.Nano() - before.Stime.Nano()
	b.ReportMetric(float64(cpu)/float64(b.N)/1e3, "cpu-µs/op")
}
