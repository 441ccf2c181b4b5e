package check

import (
	"net"
	"net/netip"
	"sync"
	"time"
)

// Limiter allows each address Burst requests at once and Rate per minute after that (a
// token bucket per address), so the public check cannot be used to walk the registry. It
// forgets addresses idle for ten minutes.
type Limiter struct {
	Rate  float64 // requests per minute
	Burst float64
	Now   func() time.Time // nil: time.Now

	mu      sync.Mutex
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	tokens float64
	at     time.Time
}

// NewLimiter is the public check's default: 10 at once, 30 a minute.
func NewLimiter() *Limiter { return &Limiter{Rate: 30, Burst: 10} }

// Allow takes a token of addr; false means the request must be refused, and wait is how
// long until the next token.
func (l *Limiter) Allow(addr string) (ok bool, wait time.Duration) {
	now := time.Now()
	if l.Now != nil {
		now = l.Now()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.buckets == nil {
		l.buckets = map[string]*bucket{}
	}
	if now.Sub(l.swept) > time.Minute {
		for a, b := range l.buckets {
			if now.Sub(b.at) > 10*time.Minute {
				delete(l.buckets, a)
			}
		}
		l.swept = now
	}
	b := l.buckets[addr]
	if b == nil {
		b = &bucket{tokens: l.Burst, at: now}
		l.buckets[addr] = b
	}
	b.tokens = min(l.Burst, b.tokens+now.Sub(b.at).Minutes()*l.Rate)
	b.at = now
	if b.tokens < 1 {
		return false, time.Duration((1 - b.tokens) / l.Rate * float64(time.Minute))
	}
	b.tokens--
	return true, 0
}

// Addr is the key a request is limited by: the connection's address (never a header a client
// could set), an IPv6 address by its /64, which one subscriber usually holds whole.
func Addr(remoteAddr string) string {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	if ip.Is4() || ip.Is4In6() {
		return ip.Unmap().String()
	}
	p, _ := ip.Prefix(64)
	return p.String()
}
