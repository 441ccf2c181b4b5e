package worker

import (
	"context"
	"testing"
	"time"
)

func TestPriorityQuietLetsAllRun(t *testing.T) {
	p := NewPriority(time.Hour)
	for range 3 { // never arrived: no turn is taken
		done, err := p.wait(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		defer done()
	}
	var nilP *Priority // the API role and the worker role have none
	done, err := nilP.wait(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	done()
}

func TestPriorityOneJobAtATimeWhileOrdersArrive(t *testing.T) {
	p := NewPriority(time.Hour)
	p.Arrived()
	done, err := p.wait(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	second := make(chan struct{})
	go func() {
		d, err := p.wait(context.Background())
		if err == nil {
			d()
		}
		close(second)
	}()
	select {
	case <-second:
		t.Fatal("a second job ran beside the first while orders arrive")
	case <-time.After(50 * time.Millisecond):
	}
	const job = 40 * time.Millisecond
	time.Sleep(job)
	finished := time.Now()
	done()
	<-second
	// The turn is kept for as long as the job took: the CPU is shared half and half.
	if pause := time.Since(finished); pause < job*3/4 {
		t.Errorf("next job started %s after the first ended, want a pause of about %s", pause, job)
	}
}

func TestPriorityResumesWhenArrivalsPause(t *testing.T) {
	p := NewPriority(100 * time.Millisecond)
	p.Arrived()
	done, err := p.wait(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer done()
	// The turn is taken, yet once the window passes the waiting job runs.
	start := time.Now()
	d, err := p.wait(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	d()
	if waited := time.Since(start); waited > 5*time.Second {
		t.Errorf("waited %s after arrivals stopped", waited)
	}
}

func TestPriorityWaitEndsWithContext(t *testing.T) {
	p := NewPriority(time.Hour)
	p.Arrived()
	done, err := p.wait(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer done()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := p.wait(ctx); err == nil {
		t.Fatal("wait returned a turn after its context ended")
	}
}
