package fsstore

import (
	"os"
	"sync"
)

// groupSync makes writes durable in groups. Every Put waits until a sync that started
// after its write has finished — so a document is on disk before the registry may say it
// is rendered — but concurrent Puts share one sync instead of paying two fsyncs each (the
// file and its directory). Under load that was most of a render job's time on this
// project's disks (see README, Performance).
type groupSync struct {
	root    *os.File
	mu      sync.Mutex
	pending []chan error
	running bool
}

func newGroupSync(dir string) (*groupSync, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	return &groupSync{root: f}, nil
}

// Wait returns when everything written before the call is durable.
func (g *groupSync) Wait() error {
	ch := make(chan error, 1)
	g.mu.Lock()
	g.pending = append(g.pending, ch)
	if !g.running {
		g.running = true
		go g.loop()
	}
	g.mu.Unlock()
	return <-ch
}

// loop runs syncs while there are waiters. A waiter that arrives during a sync is served
// by the next one, because the sync in flight may have started before its write.
func (g *groupSync) loop() {
	for {
		g.mu.Lock()
		batch := g.pending
		g.pending = nil
		if len(batch) == 0 {
			g.running = false
			g.mu.Unlock()
			return
		}
		g.mu.Unlock()
		err := syncFS(g.root)
		for _, ch := range batch {
			ch <- err
		}
	}
}
