package registry_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"

	"orders/internal/registry"
)

// BenchmarkMillion measures the registry of a large region after five years (ORDERS_MILLION_N
// orders, 1,000,000 by default; see million_data_test.go) on each driver. It is a benchmark,
// not a test: CI does not run it. The seeded databases are kept between runs, so queries can
// be iterated on:
//
//	ORDERS_MILLION_DIR=/var/tmp/million \
//	ORDERS_TEST_POSTGRES_URL='postgres://postgres@127.0.0.1:5432/test?sslmode=disable' \
//	nice -n 10 go test -run '^$' -bench Million -benchtime 200x -timeout 2h ./internal/registry/
//
// SQLite lives in $ORDERS_MILLION_DIR/registry-<N>.db; PostgreSQL in the database
// orders_million_<N> (or $ORDERS_MILLION_PGDB) of the server of ORDERS_TEST_POSTGRES_URL
// (created if missing), so the conformance tests' database is not disturbed. A database whose seed is missing or of
// another generator version is seeded again from nothing.
//
// Each operation reports its p50 and p99 latency in ms over b.N calls (use -benchtime Nx);
// intake reports orders/s and the CPU per order of this process, and intake_empty the same on
// an empty registry of the same driver.
func BenchmarkMillion(b *testing.B) {
	dir := os.Getenv("ORDERS_MILLION_DIR")
	if dir == "" {
		b.Skip("ORDERS_MILLION_DIR is not set: the directory that keeps the seeded SQLite registry between runs")
	}
	n := 1_000_000
	if s := os.Getenv("ORDERS_MILLION_N"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil || n < 10000 {
			b.Fatalf("ORDERS_MILLION_N=%q: want a number ≥ 10000", s)
		}
	}
	drivers := []struct {
		name string
		open func(b *testing.B, n int) (registry.Store, func(b *testing.B) registry.Store)
	}{
		{"sqlite", func(b *testing.B, n int) (registry.Store, func(*testing.B) registry.Store) {
			return openSQLiteMillion(b, filepath.Join(dir, fmt.Sprintf("registry-%d.db", n)), n), openSQLiteEmpty
		}},
		{"postgres", func(b *testing.B, n int) (registry.Store, func(*testing.B) registry.Store) {
			return openPostgresMillion(b, n), openPostgresEmpty
		}},
	}
	for _, d := range drivers {
		b.Run(d.name, func(b *testing.B) {
			s, empty := d.open(b, n)
			defer s.Close()
			runMillion(b, s, empty, n)
		})
	}
}

// millionOps are the operations measured; each takes a random source and returns the calls'
// latencies (export makes several calls per operation).
func runMillion(b *testing.B, s registry.Store, empty func(*testing.B) registry.Store, n int) {
	g := newSeedGen(n)
	numbers := sampleNumbers(n)
	list := func(name string, filter func(r *rand.Rand) registry.Filter) {
		b.Run(name, func(b *testing.B) {
			r := rand.New(rand.NewPCG(7, uint64(len(name))))
			lat := make([]time.Duration, 0, b.N)
			for b.Loop() {
				f := filter(r)
				t0 := time.Now()
				if _, _, err := s.ListOrders(b.Context(), f); err != nil {
					b.Fatal(err)
				}
				d := time.Since(t0)
				lat = append(lat, d)
				if d > slow {
					b.Logf("slow: %s for %+v", d.Round(time.Millisecond), f)
				}
			}
			reportLatency(b, lat)
		})
	}
	org := func(r *rand.Rand) string { return seedOrgs[pickOrg(r)].id }
	// What a worker or a page asks to find work: most organizations have none queued, so
	// this is the query that scanned all of an organization's orders (issue 12).
	list("list_status_queued", func(r *rand.Rand) registry.Filter {
		return registry.Filter{OrgID: seedOrgs[r.IntN(len(seedOrgs))].id, Status: registry.StatusQueued, Limit: 1}
	})
	list("list_status_failed", func(r *rand.Rand) registry.Filter {
		return registry.Filter{OrgID: org(r), Status: registry.StatusFailed}
	})
	list("list_state_cancelled", func(r *rand.Rand) registry.Filter {
		return registry.Filter{OrgID: org(r), State: registry.StateCancelled}
	})
	list("list_first_page", func(r *rand.Rand) registry.Filter { return registry.Filter{OrgID: org(r)} })
	list("by_number", func(r *rand.Rand) registry.Filter {
		nb := numbers[r.IntN(len(numbers))]
		return registry.Filter{OrgID: nb[0], Number: nb[1]}
	})
	list("date_range_week", func(r *rand.Rand) registry.Filter {
		from := g.workdays[r.IntN(len(g.workdays)-10)]
		return registry.Filter{OrgID: org(r), DateFrom: from.Format(time.DateOnly), DateTo: from.AddDate(0, 0, 6).Format(time.DateOnly)}
	})
	searches := []string{"стажировочная площадка", "аккредитация", "олимпиада школьников", "командировка Казань",
		"отпуск Соловьевой", "персональные данные", "инвентаризация имущества 2023", "противодействие коррупции",
		"конференция", "охрана труда ответственный"}
	list("search", func(r *rand.Rand) registry.Filter {
		return registry.Filter{OrgID: org(r), FullText: searches[r.IntN(len(searches))]}
	})
	// Words of most orders: the worst case of a search.
	list("search_common", func(r *rand.Rand) registry.Filter {
		return registry.Filter{OrgID: org(r), FullText: []string{"приказываю", "руководитель", "работники"}[r.IntN(3)]}
	})
	// The registry part of an archive export: a month of an organization, page by page.
	b.Run("export_month", func(b *testing.B) {
		r := rand.New(rand.NewPCG(7, 99))
		var lat, months []time.Duration
		rows := 0
		for b.Loop() {
			m := time.Date(seedFirstYear+r.IntN(seedYears), time.Month(1+r.IntN(12)), 1, 0, 0, 0, 0, time.UTC)
			f := registry.Filter{OrgID: org(r), DateFrom: m.Format(time.DateOnly), DateTo: m.AddDate(0, 1, -1).Format(time.DateOnly),
				Limit: registry.MaxLimit}
			start := time.Now()
			for {
				t0 := time.Now()
				page, next, err := s.ListOrders(b.Context(), f)
				if err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(t0))
				rows += len(page)
				if next == "" {
					break
				}
				f.Cursor = next
			}
			months = append(months, time.Since(start))
		}
		reportLatency(b, lat)
		slices.Sort(months)
		b.ReportMetric(ms(months[len(months)/2]), "month-p50-ms")
		b.ReportMetric(ms(months[len(months)-1]), "month-max-ms")
		b.ReportMetric(float64(rows)/float64(len(months)), "rows/month")
	})
	b.Run("register", func(b *testing.B) {
		r := rand.New(rand.NewPCG(7, 100))
		lat := make([]time.Duration, 0, b.N)
		for b.Loop() {
			b.StopTimer()
			o := benchDraftOrder(r, seedOrgs[pickOrg(r)].id)
			if _, err := s.CreateOrder(b.Context(), o); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			t0 := time.Now()
			_, err := s.RegisterOrder(b.Context(), o.OrgID, o.ID, registry.RegisterRequest{
				Journal: "osn", Date: fmt.Sprintf("%d-12-30", seedFirstYear+seedYears-1),
				Build: func(o *registry.Order, number string, seq int) (registry.Registered, error) {
					return registry.Registered{Draft: o.Draft, SearchText: o.SearchText + " № " + number}, nil
				},
				Audit: &registry.AuditEntry{Actor: "bench", Action: "register"},
			})
			if err != nil {
				b.Fatal(err)
			}
			lat = append(lat, time.Since(t0))
		}
		reportLatency(b, lat)
	})
	b.Run("intake", func(b *testing.B) { benchIntake(b, s) })
	b.Run("intake_empty", func(b *testing.B) {
		e := empty(b)
		defer e.Close()
		benchIntake(b, e)
	})
}

// sampleNumbers lists (organization, number) pairs the seed issued.
func sampleNumbers(n int) [][2]string {
	g := newSeedGen(n)
	var out [][2]string
	for i := range n {
		o := g.order(i)
		if o.Number != "" && i%97 == 0 {
			out = append(out, [2]string{o.OrgID, o.Number})
		}
	}
	return out
}

func benchDraftOrder(r *rand.Rand, orgID string) *registry.Order {
	title, text := seedText(r, r.IntN(3), seedFirstYear+seedYears-1)
	return &registry.Order{OrgID: orgID, Kind: "приказ", Title: title, Status: registry.StatusQueued,
		Draft: fmt.Appendf(nil, `{"title":%q,"text":%q}`, title, text), SearchText: text,
		IdempotencyKey: uuid.NewString()}
}

// benchIntake is the registry's share of intake and render: CreateOrder (API), MarkRendering
// and MarkRendered (worker) for b.N orders from 16 goroutines, as BenchmarkOrderLifecycle.
func benchIntake(b *testing.B, s registry.Store) {
	const clients = 16
	var next atomic.Int64
	var mu sync.Mutex
	var lat []time.Duration
	orders := make([]*registry.Order, b.N)
	r := rand.New(rand.NewPCG(7, uint64(time.Now().UnixNano())))
	for i := range orders {
		orders[i] = benchDraftOrder(r, seedOrgs[pickOrg(r)].id)
	}
	cpu0 := cpuTime()
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			ctx := b.Context()
			var mine []time.Duration
			for {
				i := int(next.Add(1)) - 1
				if i >= len(orders) {
					break
				}
				o := orders[i]
				t0 := time.Now()
				if _, err := s.CreateOrder(ctx, o); err != nil {
					b.Error(err)
					return
				}
				ro, err := s.MarkRendering(ctx, o.ID)
				if err != nil {
					b.Error(err)
					return
				}
				out := registry.Outputs{PDFKey: "pdf/" + ro.DraftHash, PDFSHA256: ro.DraftHash, PDFSize: 40000,
					DOCXKey: "docx/" + ro.DraftHash, DOCXSHA256: ro.DraftHash, DOCXSize: 20000}
				if _, err := s.MarkRendered(ctx, o.ID, ro.RenderKey(), out); err != nil {
					b.Error(err)
					return
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "orders/s")
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/order")
	reportLatency(b, lat)
}

// slow is the latency above which a call's filter is logged, to find the slow queries.
const slow = 50 * time.Millisecond

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func reportLatency(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	b.ReportMetric(ms(lat[len(lat)/2]), "p50-ms")
	b.ReportMetric(ms(lat[(len(lat)*99+99)/100-1]), "p99-ms")
	b.ReportMetric(ms(lat[len(lat)-1]), "max-ms")
}

// cpuTime is the CPU time (user and system) this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// seedContext bounds a seeding.
func seedContext(b *testing.B) (context.Context, context.CancelFunc) {
	return context.WithTimeout(b.Context(), 90*time.Minute)
}
