package main

import (
	"runtime/debug"
	"testing"
)

// TestTuneGC: without GOGC and GOMEMLIMIT ordersd collects at 400 % under a soft limit of
// memoryLimit (the limit is what keeps a 10,000-row batch's peak under 300 MiB); a value the
// environment sets is left to the runtime, which has already read it.
func TestTuneGC(t *testing.T) {
	oldPct, oldLimit := debug.SetGCPercent(100), debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetGCPercent(oldPct); debug.SetMemoryLimit(oldLimit) })
	for _, tc := range []struct {
		name      string
		env       map[string]string
		wantPct   int
		wantLimit int64
	}{
		{"unset", nil, gcPercent, memoryLimit},
		{"both set", map[string]string{"GOGC": "100", "GOMEMLIMIT": "1GiB"}, 100, 1 << 30},
	} {
		t.Run(tc.name, func(t *testing.T) {
			debug.SetGCPercent(100)
			debug.SetMemoryLimit(1 << 30)
			tuneGC(func(k string) string { return tc.env[k] })
			if got := debug.SetGCPercent(100); got != tc.wantPct {
				t.Errorf("GC percent %d, want %d", got, tc.wantPct)
			}
			if got := debug.SetMemoryLimit(-1); got != tc.wantLimit {
				t.Errorf("memory limit %d, want %d", got, tc.wantLimit)
			}
		})
	}
}
