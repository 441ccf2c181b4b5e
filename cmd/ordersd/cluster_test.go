package main

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"orders/internal/blob/natsstore"
	"orders/internal/queue"
)

// The cluster shape of compose.yaml, run from Debian's packages: compose.yaml itself cannot
// start here (no Docker images), so this test starts the same processes by hand.

const natsServerBin = "/usr/sbin/nats-server"

// clusterRecovery is how long, after a worker and the stream leader's NATS node are killed,
// the rest of the cluster may take to render every order of the batch.
const clusterRecovery = 30 * time.Second

// needTool skips the test where a tool is missing, but fails it in CI, which installs it.
func needTool(t *testing.T, path, pkg string) {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s missing (Debian package %s; .ci/run installs it): %v", path, pkg, err)
		}
		t.Skipf("%s missing (Debian package %s)", path, pkg)
	}
}

// freePorts finds k distinct free loopback ports. The listeners stay open until all are
// found: closed one at a time, the kernel may hand the same port out twice.
func freePorts(t *testing.T, k int) []int {
	t.Helper()
	ports := make([]int, k)
	for i := range ports {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		must(t, err)
		defer ln.Close()
		ports[i] = ln.Addr().(*net.TCPAddr).Port
	}
	return ports
}

// proc is a child process whose output goes to a log file, shown when the test fails.
type proc struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
}

func startProc(t *testing.T, dir, name string, bin string, env []string, args ...string) *proc {
	t.Helper()
	logPath := filepath.Join(dir, name+".log")
	f, err := os.Create(logPath)
	must(t, err)
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = f, f
	// Only the settings the test gives: an ORDERS_* variable of the caller's shell would
	// change the shape under test.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ORDERS_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	must(t, cmd.Start())
	p := &proc{name: name, cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); f.Close(); close(p.done) }()
	t.Cleanup(func() {
		p.kill()
		if t.Failed() {
			data, _ := os.ReadFile(logPath)
			if len(data) > 6000 {
				data = append([]byte("…"), data[len(data)-6000:]...)
			}
			t.Logf("--- log of %s (%s) ---\n%s", name, logPath, data)
		}
	})
	return p
}

func (p *proc) kill() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// natsNode is one nats-server of the test cluster.
type natsNode struct {
	name            string
	client, cluster int
	monitor         int
	proc            *proc
	killed          bool
}

func (n *natsNode) url() string { return fmt.Sprintf("nats://127.0.0.1:%d", n.client) }

// startNATSCluster starts three nats-server processes with JetStream, each with its own store
// directory, routed to each other on loopback, and waits until JetStream has a meta leader.
func startNATSCluster(t *testing.T, dir string) []*natsNode {
	t.Helper()
	nodes := make([]*natsNode, 3)
	ports := freePorts(t, 3*len(nodes))
	for i := range nodes {
		nodes[i] = &natsNode{name: fmt.Sprintf("nats-%d", i+1), client: ports[3*i], cluster: ports[3*i+1], monitor: ports[3*i+2]}
	}
	for i, n := range nodes {
		var routes []string
		for j, o := range nodes {
			if j != i {
				routes = append(routes, fmt.Sprintf("nats://127.0.0.1:%d", o.cluster))
			}
		}
		sd := filepath.Join(dir, n.name)
		must(t, os.MkdirAll(sd, 0o755))
		n.proc = startProc(t, dir, n.name, natsServerBin, nil,
			"-n", n.name, "-a", "127.0.0.1", "-p", strconv.Itoa(n.client), "-m", strconv.Itoa(n.monitor),
			"-js", "-sd", sd, "--cluster_name", "orders",
			"--cluster", fmt.Sprintf("nats://127.0.0.1:%d", n.cluster), "--routes", strings.Join(routes, ","))
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		leader, size := "", 0
		for _, n := range nodes {
			var jsz struct {
				Meta *struct {
					Leader string `json:"leader"`
					Size   int    `json:"cluster_size"`
				} `json:"meta_cluster"`
			}
			if getJSON(fmt.Sprintf("http://127.0.0.1:%d/jsz", n.monitor), &jsz) == nil && jsz.Meta != nil && jsz.Meta.Leader != "" {
				leader, size = jsz.Meta.Leader, jsz.Meta.Size
			}
		}
		for _, n := range nodes {
			select {
			case <-n.proc.done:
				t.Fatalf("%s exited while the cluster formed", n.name)
			default:
			}
		}
		if leader != "" && size == 3 {
			t.Logf("NATS cluster up, meta leader %s", leader)
			return nodes
		}
		if time.Now().After(deadline) {
			t.Fatal("the NATS cluster has no JetStream meta leader after 60 s")
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func getJSON(u string, out any) error {
	c := http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get(u)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", u, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// freshDatabase creates a PostgreSQL database only this test uses, dropped when it ends, and
// returns its URL.
func freshDatabase(t *testing.T) string {
	t.Helper()
	dsn := os.Getenv("ORDERS_TEST_POSTGRES_URL")
	if dsn == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("ORDERS_TEST_POSTGRES_URL is not set (.ci/run sets it)")
		}
		t.Skip("ORDERS_TEST_POSTGRES_URL is not set")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	admin, err := pgxpool.New(ctx, dsn)
	if err == nil {
		err = admin.Ping(ctx)
	}
	if err != nil {
		t.Fatalf("ORDERS_TEST_POSTGRES_URL is set but the server is not reachable: %v", err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	name := "orders_cluster_" + hex.EncodeToString(b)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		admin.Close()
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		defer admin.Close()
		// FORCE: a killed process's connections may not have been closed by the server yet.
		if _, err := admin.Exec(context.Background(), "DROP DATABASE "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	u, err := url.Parse(dsn)
	must(t, err)
	u.Path = "/" + name
	return u.String()
}

// buildOrdersd builds this package's binary once for the test.
func buildOrdersd(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "ordersd")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// waitReady polls /readyz until it answers 200.
func waitReady(t *testing.T, p *proc, addr string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	c := http.Client{Timeout: 2 * time.Second}
	for {
		resp, err := c.Get("http://" + addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-p.done:
			t.Fatalf("%s exited before it was ready", p.name)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not ready after %v: %v", p.name, timeout, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// streamLeader asks JetStream which server leads ORDERS_JOBS.
func streamLeader(t *testing.T, js jetstream.JetStream) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := js.Stream(ctx, queue.StreamName)
	must(t, err)
	info, err := s.Info(ctx)
	must(t, err)
	if info.Cluster == nil || info.Cluster.Leader == "" {
		t.Fatalf("%s has no leader: %+v", queue.StreamName, info.Cluster)
	}
	return info.Cluster.Leader
}

// TestClusterShape runs compose.yaml's shape — a 3-node NATS JetStream cluster, PostgreSQL,
// two API and two worker processes with the documents in NATS replicated 3 times — submits a
// batch registered in a journal, and in the middle of it kills (SIGKILL) one worker and the
// NATS node that leads the job stream. Every order must be rendered once, with documents
// whose hashes match the registry, numbered 1..N in row order without gaps, within 30 s of
// the kills.
func TestClusterShape(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a NATS cluster and four ordersd processes")
	}
	needTool(t, natsServerBin, "nats-server")
	dsn := freshDatabase(t) // registered first: dropped after every process is gone
	dir := t.TempDir()
	began := time.Now()
	bin := buildOrdersd(t, dir)
	built := time.Since(began)

	nodes := startNATSCluster(t, dir)
	clusterUp := time.Since(began)
	var urls []string
	for _, n := range nodes {
		urls = append(urls, n.url())
	}
	natsURL := strings.Join(urls, ",")

	key := make([]byte, 32)
	rand.Read(key)
	env := []string{
		"ORDERS_SECRET_KEY=" + base64.StdEncoding.EncodeToString(key),
		"ORDERS_ADMIN_TOKEN=" + adminToken,
	}
	type svc struct {
		p    *proc
		addr string
	}
	addrs := freePorts(t, 4)
	startOrdersd := func(name, role string) svc {
		addr := fmt.Sprintf("127.0.0.1:%d", addrs[0])
		addrs = addrs[1:]
		p := startProc(t, dir, name, bin, env, "--role", role, "--addr", addr, "--data", filepath.Join(dir, name),
			"--nats-url", natsURL, "--database-url", dsn, "--store", "nats", "--replicas", "3")
		return svc{p, addr}
	}
	// The first API migrates the database and creates the streams; the rest start after it,
	// as compose would restart them until they could.
	api1 := startOrdersd("api-1", "api")
	waitReady(t, api1.p, api1.addr, 90*time.Second)
	api2 := startOrdersd("api-2", "api")
	w1 := startOrdersd("worker-1", "worker")
	w2 := startOrdersd("worker-2", "worker")
	for _, s := range []svc{api2, w1, w2} {
		waitReady(t, s.p, s.addr, 90*time.Second)
	}
	ready := time.Since(began)

	admin := &client{t: t, base: "http://" + api1.addr, token: adminToken}
	admin.json("PUT", "/api/v1/organizations/balashikha", example(t, "balashikha")["letterhead"], http.StatusOK, nil)
	tok, err := exec.Command(bin, "token", "create", "--database-url", dsn, "--org", "balashikha", "--role", "head").Output()
	if err != nil {
		t.Fatalf("ordersd token create: %v", err)
	}
	head := &client{t: t, base: "http://" + api1.addr, token: strings.TrimSpace(string(tok))}
	head.json("PUT", "/api/v1/journals/main", map[string]any{"name": "по основной деятельности", "format": "{seq}"}, http.StatusOK, nil)

	nc, err := nats.Connect(natsURL, nats.MaxReconnects(-1), nats.ReconnectWait(100*time.Millisecond))
	must(t, err)
	defer nc.Close()
	js, err := jetstream.New(nc)
	must(t, err)

	const n = 600
	submitted := time.Now()
	acc, _ := submitBatch(t, head, http.StatusAccepted, withFields(yearConst, "journal", "main", "date", "2022-09-01"),
		formFile{"template", "platform.json", []byte(batchTemplate)}, formFile{"data", "platforms.csv", batchCSV(n)})
	intake := time.Since(submitted)
	if acc.Total != n {
		t.Fatalf("accepted %d rows, want %d", acc.Total, n)
	}

	// Mid-batch: once a tenth is rendered, kill a worker and the job stream's leader.
	var before progress
	for {
		before = *getBatch(t, head, acc.ID).Progress
		if before.Rendered >= n/10 {
			break
		}
		if time.Since(submitted) > 2*time.Minute {
			t.Fatalf("the batch does not start rendering: %+v", before)
		}
		time.Sleep(10 * time.Millisecond)
	}
	leader := streamLeader(t, js)
	var victim *natsNode
	for _, nd := range nodes {
		if nd.name == leader {
			victim = nd
		}
	}
	if victim == nil {
		t.Fatalf("stream leader %q is none of the nodes", leader)
	}
	w1.p.kill()
	victim.proc.kill()
	victim.killed = true
	killed := time.Now()
	if before.Rendered >= n {
		t.Fatalf("the batch ended before the kills: %+v", before)
	}
	t.Logf("killed worker-1 and %s (leader of %s) at %d of %d rendered", victim.name, queue.StreamName, before.Rendered, n)

	// Recovery: every order rendered, read through the other API (its NATS link may have
	// been to the killed node too).
	head.base = "http://" + api2.addr
	var last progress
	var timeline []string // rendered count each second after the kills
	for {
		code, _, body := head.do("GET", "/api/v1/batches/"+acc.ID, "", nil)
		if code == http.StatusOK {
			var b batchInfo
			must(t, json.Unmarshal(body, &b))
			last = *b.Progress
			if el := time.Since(killed); len(timeline) < int(el/time.Second) {
				timeline = append(timeline, fmt.Sprintf("%ds:%d", int(el/time.Second), last.Rendered))
			}
			if last.Rendered+last.Failed+last.Cancelled == n {
				break
			}
		}
		if time.Since(killed) > 3*clusterRecovery {
			t.Fatalf("%v after the kills the batch is still at %+v", time.Since(killed).Round(time.Millisecond), last)
		}
		time.Sleep(50 * time.Millisecond)
	}
	recovered := time.Since(killed)
	t.Logf("rendered after the kills: %s", strings.Join(timeline, " "))
	t.Logf("build %v; NATS meta leader after %v; all processes ready after %v; intake of %d rows %v; kills at %v after submit; all rendered %v after the kills (%v after submit)",
		built.Round(time.Millisecond), clusterUp.Round(time.Millisecond), ready.Round(time.Millisecond), n, intake.Round(time.Millisecond),
		killed.Sub(submitted).Round(time.Millisecond), recovered.Round(time.Millisecond), time.Since(submitted).Round(time.Millisecond))
	if last.Rendered != n {
		t.Fatalf("batch ended with %+v, want all %d rendered", last, n)
	}
	if recovered > clusterRecovery {
		t.Errorf("recovery took %v, more than %v", recovered.Round(time.Millisecond), clusterRecovery)
	}

	// Exactly once, in the registry: n orders (one per row), each rendered once — a render
	// recorded over a rendered order changes nothing (MarkRendered), so a second render
	// would show only as a second number or order. Taken more than once are only the jobs
	// in the workers' hands at the kills: the killed worker's come back after the ack wait,
	// and the survivor's whose document write failed while NATS elected leaders are retried.
	attempts := map[int]int{}
	byOrder := map[string]int{}
	total := 0
	cursor := ""
	for {
		var page struct {
			Orders []struct {
				ID         string     `json:"id"`
				Status     string     `json:"status"`
				Attempts   int        `json:"attempts"`
				RenderedAt *time.Time `json:"rendered_at"`
			} `json:"orders"`
			NextCursor string `json:"next_cursor"`
		}
		head.json("GET", "/api/v1/orders?limit=500&cursor="+cursor, nil, http.StatusOK, &page)
		for _, o := range page.Orders {
			total++
			if o.Status != "rendered" || o.RenderedAt == nil {
				t.Errorf("order %s: %s, rendered_at %v", o.ID, o.Status, o.RenderedAt)
			}
			attempts[o.Attempts]++
			byOrder[o.ID] = o.Attempts
		}
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}
	t.Logf("orders by attempts: %v", attempts)
	if total != n {
		t.Fatalf("the registry holds %d orders, the batch has %d rows", total, n)
	}
	// A job whose document write failed while NATS elected leaders is retried by its worker,
	// which logs it: those attempts are retries, not second takes. What remains beyond one
	// take can only be the jobs in the workers' hands at the kills.
	retried := retriesLogged(t, w1.p.log, w2.p.log)
	held := 2 * 4 * runtime.GOMAXPROCS(0) // two workers × --workers' default, four per CPU
	taken := 0
	for id, a := range byOrder {
		if a == 0 {
			t.Errorf("order %s was never taken", id)
		}
		taken += max(0, a-1-retried[id])
	}
	if taken > held {
		t.Errorf("%d second takes beyond the logged retries (attempts %v, retries logged for %d orders), want at most %d (the jobs in hand at the kills)",
			taken, attempts, len(retried), held)
	}
	if !nc.IsConnected() {
		t.Log("the test's NATS connection is reconnecting")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if dead, err := js.Stream(ctx, queue.DeadStreamName); err != nil {
		t.Errorf("%s: %v", queue.DeadStreamName, err)
	} else if info, err := dead.Info(ctx); err != nil {
		t.Errorf("%s: %v", queue.DeadStreamName, err)
	} else if info.State.Msgs != 0 {
		t.Errorf("%d jobs dead-lettered", info.State.Msgs)
	}

	// Every stored document has the hash the registry records, read one by one through
	// both APIs: the API checks the hash on read, so a 200 whose ETag is the registry's hash
	// and whose body hashes to it is the stored document.
	var list struct {
		Orders []orderResp `json:"orders"`
	}
	head.json("GET", "/api/v1/orders?limit=25", nil, http.StatusOK, &list)
	for _, api := range []svc{api1, api2} {
		c := &client{t: t, base: "http://" + api.addr, token: head.token}
		for _, o := range list.Orders {
			for kind, d := range o.Documents {
				began := time.Now()
				code, hdr, body, err := c.download("/api/v1/orders/" + o.ID + "/document." + kind)
				sum := sha256.Sum256(body)
				if err != nil || code != http.StatusOK || hdr.Get("ETag") != `"`+d.SHA256+`"` || hex.EncodeToString(sum[:]) != d.SHA256 {
					t.Errorf("%s: order %s %s: %d after %v (%v), ETag %s, body %x, registry %s: %.300s", api.p.name, o.ID, kind, code,
						time.Since(began).Round(time.Millisecond), err, hdr.Get("ETag"), sum, d.SHA256, body)
				}
			}
		}
	}

	// Numbers 1..n in row order, and the whole batch's stored bytes against the registry's
	// hashes: result.zip carries both side by side.
	began = time.Now()
	code, _, data, err := head.download("/api/v1/batches/" + acc.ID + "/result.zip")
	if err != nil || code != http.StatusOK {
		t.Fatalf("result.zip: %d after %v (%v): %.300s", code, time.Since(began).Round(time.Millisecond), err, data)
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	must(t, err)
	files := map[string]*zip.File{}
	var manifest [][]string
	for _, f := range zr.File {
		files[f.Name] = f
		if f.Name == "manifest.csv" {
			rc, err := f.Open()
			must(t, err)
			m, _ := io.ReadAll(rc)
			rc.Close()
			cr := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(m, []byte("\xEF\xBB\xBF"))))
			cr.Comma = ';'
			manifest, err = cr.ReadAll()
			must(t, err)
		}
	}
	if len(manifest) != n+1 {
		t.Fatalf("manifest has %d rows, want %d", len(manifest)-1, n)
	}
	for i, rec := range manifest[1:] {
		if rec[0] != strconv.Itoa(i+2) || rec[1] != strconv.Itoa(i+1) || rec[5] != "готов" {
			t.Fatalf("manifest row %d: %q, want line %d numbered %d", i+1, rec, i+2, i+1)
		}
		for j := range 2 {
			f := files[rec[6+j]]
			if f == nil {
				t.Fatalf("result.zip lacks %q", rec[6+j])
			}
			rc, err := f.Open()
			must(t, err)
			h := sha256.New()
			_, err = io.Copy(h, rc)
			rc.Close()
			must(t, err)
			if got := hex.EncodeToString(h.Sum(nil)); got != rec[8+j] {
				t.Fatalf("%s: stored bytes hash %s, the registry says %s", rec[6+j], got, rec[8+j])
			}
		}
	}
}

// download is c.do for a GET whose body must arrive whole: a server that fails while it
// streams cuts the connection, which only the read error shows.
func (c *client) download(path string) (int, http.Header, []byte, error) {
	req, err := http.NewRequest("GET", c.base+path, nil)
	if err != nil {
		return 0, nil, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, data, err
}

// TestClusterDocumentsReadableAfterLeaderLoss kills the NATS node that leads the document
// bucket's stream: every document must stay readable from the two nodes left. Read through
// the object store's ordered consumers, about a third of reads hung until their deadline on
// Debian's nats-server 2.9.10, for as long as the node stayed down.
func TestClusterDocumentsReadableAfterLeaderLoss(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a NATS cluster")
	}
	needTool(t, natsServerBin, "nats-server")
	nodes := startNATSCluster(t, t.TempDir())
	var urls []string
	for _, n := range nodes {
		urls = append(urls, n.url())
	}
	nc, err := nats.Connect(strings.Join(urls, ","), nats.MaxReconnects(-1), nats.ReconnectWait(100*time.Millisecond))
	must(t, err)
	defer nc.Close()
	js, err := jetstream.New(nc)
	must(t, err)
	ctx := context.Background()
	st, err := natsstore.New(ctx, js, natsstore.Config{Replicas: 3})
	must(t, err)
	var keys []string
	for i := range 30 {
		// Two chunks each (the object store's are 128 KiB).
		key, _, err := st.Put(ctx, bytes.Repeat([]byte(fmt.Sprintf("приказ %d ", i)), 12000), "application/pdf")
		must(t, err)
		keys = append(keys, key)
	}
	s, err := js.Stream(ctx, "OBJ_"+natsstore.DefaultBucket)
	must(t, err)
	info, err := s.Info(ctx)
	must(t, err)
	for _, n := range nodes {
		if n.name == info.Cluster.Leader {
			n.proc.kill()
		}
	}
	killed := info.Cluster.Leader
	began := time.Now()
	// Reads right at the kill may fail while the client reconnects; once the bucket has a
	// new leader, every read must succeed.
	for {
		c, cancel := context.WithTimeout(ctx, 3*time.Second)
		info, err = s.Info(c)
		cancel()
		if err == nil && info.Cluster.Leader != "" && info.Cluster.Leader != killed {
			break
		}
		if time.Since(began) > 30*time.Second {
			t.Fatalf("no new leader of the document bucket 30 s after %s was killed: %v %+v", killed, err, info.Cluster)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("killed %s, leader of the document bucket; %s leads after %v", killed, info.Cluster.Leader, time.Since(began).Round(time.Millisecond))
	var failed []string
	began = time.Now()
	for _, key := range keys {
		c, cancel := context.WithTimeout(ctx, 3*time.Second)
		if _, err := st.Get(c, key); err != nil {
			failed = append(failed, err.Error())
		}
		cancel()
		c, cancel = context.WithTimeout(ctx, 3*time.Second)
		if rc, _, err := st.Open(c, key); err != nil {
			failed = append(failed, err.Error())
		} else if _, err := io.Copy(io.Discard, rc); err != nil {
			failed = append(failed, err.Error())
		}
		cancel()
	}
	t.Logf("%d reads in %v", 2*len(keys), time.Since(began).Round(time.Millisecond))
	if len(failed) > 0 {
		t.Fatalf("%d of %d reads failed after the leader's node was killed, e.g. %s", len(failed), 2*len(keys), failed[0])
	}
}

// retriesLogged counts, per order ID, the «job failed; will retry» lines in the workers' logs.
func retriesLogged(t *testing.T, logs ...string) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, path := range logs {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(data), "\n") {
			if !strings.Contains(line, "job failed; will retry") {
				continue
			}
			if _, rest, ok := strings.Cut(line, "order_id="); ok {
				id, _, _ := strings.Cut(rest, " ")
				out[id]++
			}
		}
	}
	return out
}
