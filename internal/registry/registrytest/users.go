package registrytest

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"orders/internal/registry"
)

func mustUser(t *testing.T, s registry.Store, login, role, org string) *registry.User {
	t.Helper()
	u := &registry.User{Login: login, PasswordHash: "$2a$10$hash-of-" + login, Role: role, OrgID: org, Name: "Пользователь " + login}
	if err := s.CreateUser(t.Context(), u); err != nil {
		t.Fatalf("CreateUser(%q): %v", login, err)
	}
	return u
}

func testUsers(t *testing.T, db Opener) {
	s, ctx := open(t, db), t.Context()
	ivanova := mustUser(t, s, " Ivanova ", "clerk", "org-a")
	if ivanova.ID == uuid.Nil || ivanova.Login != "Ivanova" {
		t.Errorf("created user: %+v", ivanova)
	}
	isUTC(t, "user CreatedAt", ivanova.CreatedAt)
	petrov := mustUser(t, s, "Петров", "head", "org-a")
	admin := mustUser(t, s, "admin", "admin", "")
	mustUser(t, s, "sidorova", "archivist", "org-b")

	// Logins are found and unique ignoring case, Cyrillic included.
	for _, c := range []struct {
		login string
		want  *registry.User
	}{
		{"Ivanova", ivanova}, {"ivanova", ivanova}, {"IVANOVA", ivanova}, {" ivanova", ivanova},
		{"петров", petrov}, {"ПЕТРОВ", petrov}, {"Admin", admin},
	} {
		got, err := s.UserByLogin(ctx, c.login)
		if err != nil {
			t.Errorf("UserByLogin(%q): %v", c.login, err)
			continue
		}
		sameUser(t, "UserByLogin("+c.login+")", got, c.want)
	}
	_, err := s.UserByLogin(ctx, "ivanov")
	wantErr(t, "UserByLogin(unknown)", err, registry.ErrNotFound)
	for _, login := range []string{"ivanova", "IVANOVA", "пЕтРоВ"} {
		err := s.CreateUser(ctx, &registry.User{Login: login, PasswordHash: "h", Role: "clerk"})
		wantErr(t, "CreateUser(taken "+login+")", err, registry.ErrConflict)
	}
	for name, u := range map[string]registry.User{
		"empty login":   {Login: "  ", PasswordHash: "h", Role: "clerk"},
		"inner space":   {Login: "a b", PasswordHash: "h", Role: "clerk"},
		"no hash":       {Login: "nohash", Role: "clerk"},
		"no role":       {Login: "norole", PasswordHash: "h"},
		"control chars": {Login: "a\tb", PasswordHash: "h", Role: "clerk"},
	} {
		wantErr(t, "CreateUser("+name+")", s.CreateUser(ctx, &u), registry.ErrInvalid)
	}

	got, err := s.GetUser(ctx, petrov.ID)
	if err != nil {
		t.Fatal(err)
	}
	sameUser(t, "GetUser", got, petrov)
	_, err = s.GetUser(ctx, uuid.New())
	wantErr(t, "GetUser(unknown)", err, registry.ErrNotFound)

	logins := func(org string) []string {
		t.Helper()
		list, err := s.ListUsers(ctx, org)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, u := range list {
			out = append(out, u.Login)
		}
		return out
	}
	if got := logins("org-a"); !slices.Equal(got, []string{"Ivanova", "Петров"}) {
		t.Errorf("ListUsers(org-a) = %q", got)
	}
	if got := logins(""); !slices.Equal(got, []string{"admin", "Ivanova", "sidorova", "Петров"}) {
		t.Errorf("ListUsers(all) = %q", got)
	}

	// Password and disabling; disabling logs the user out everywhere.
	if err := s.UpdateUserPassword(ctx, ivanova.ID, "new-hash"); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "UpdateUserPassword(empty)", s.UpdateUserPassword(ctx, ivanova.ID, ""), registry.ErrInvalid)
	wantErr(t, "UpdateUserPassword(unknown)", s.UpdateUserPassword(ctx, uuid.New(), "h"), registry.ErrNotFound)
	sess := mustSession(t, s, ivanova.ID, time.Hour)
	if err := s.SetUserDisabled(ctx, ivanova.ID, true); err != nil {
		t.Fatal(err)
	}
	got, err = s.UserByLogin(ctx, "ivanova")
	if err != nil || !got.Disabled || got.PasswordHash != "new-hash" {
		t.Errorf("after password change and disabling: %+v, %v", got, err)
	}
	_, err = s.SessionByID(ctx, sess.ID)
	wantErr(t, "SessionByID after the user was disabled", err, registry.ErrNotFound)
	if err := s.SetUserDisabled(ctx, ivanova.ID, false); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.GetUser(ctx, ivanova.ID); got.Disabled {
		t.Error("user still disabled after enabling")
	}
	wantErr(t, "SetUserDisabled(unknown)", s.SetUserDisabled(ctx, uuid.New(), true), registry.ErrNotFound)
}

func sameUser(t *testing.T, what string, got, want *registry.User) {
	t.Helper()
	if !got.CreatedAt.Equal(want.CreatedAt) {
		t.Errorf("%s: CreatedAt %v, want %v", what, got.CreatedAt, want.CreatedAt)
	}
	g, w := *got, *want
	g.CreatedAt, w.CreatedAt = time.Time{}, time.Time{}
	if g != w {
		t.Errorf("%s:\n got %+v\nwant %+v", what, g, w)
	}
}

var sessionSeq struct {
	sync.Mutex
	n int
}

func mustSession(t *testing.T, s registry.Store, user uuid.UUID, ttl time.Duration) *registry.Session {
	t.Helper()
	sessionSeq.Lock()
	sessionSeq.n++
	id := fmt.Sprintf("session-secret-%08d-%s", sessionSeq.n, uuid.NewString())
	sessionSeq.Unlock()
	now := time.Now()
	sess := &registry.Session{ID: id, UserID: user, CSRF: "csrf-" + id, CreatedAt: now, ExpiresAt: now.Add(ttl)}
	if err := s.CreateSession(t.Context(), sess); err != nil {
		t.Fatalf("CreateSession: %v", err)
	}
	return sess
}

func testSessions(t *testing.T, db Opener) {
	s, ctx := open(t, db), t.Context()
	u := mustUser(t, s, "clerk", "clerk", "org-a")
	other := mustUser(t, s, "other", "clerk", "org-a")

	sess := mustSession(t, s, u.ID, time.Hour)
	if !sess.LastSeen.Equal(sess.CreatedAt) {
		t.Errorf("LastSeen %v, want CreatedAt %v", sess.LastSeen, sess.CreatedAt)
	}
	got, err := s.SessionByID(ctx, sess.ID)
	if err != nil {
		t.Fatal(err)
	}
	if *got != *sess {
		t.Errorf("SessionByID = %+v, want %+v", got, sess)
	}
	isUTC(t, "session ExpiresAt", got.ExpiresAt)
	_, err = s.SessionByID(ctx, sess.ID+"x")
	wantErr(t, "SessionByID(unknown)", err, registry.ErrNotFound)

	seen := time.Now().Add(time.Minute).UTC().Truncate(time.Microsecond)
	if err := s.TouchSession(ctx, sess.ID, seen); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.SessionByID(ctx, sess.ID); !got.LastSeen.Equal(seen) {
		t.Errorf("LastSeen after TouchSession = %v, want %v", got.LastSeen, seen)
	}
	wantErr(t, "TouchSession(unknown)", s.TouchSession(ctx, "no-such-session-id", seen), registry.ErrNotFound)

	for name, bad := range map[string]registry.Session{
		"short id":     {ID: "short", UserID: u.ID, ExpiresAt: time.Now().Add(time.Hour)},
		"no user":      {ID: "0123456789abcdef-1", ExpiresAt: time.Now().Add(time.Hour)},
		"no expiry":    {ID: "0123456789abcdef-2", UserID: u.ID},
		"unknown user": {ID: "0123456789abcdef-3", UserID: uuid.New(), ExpiresAt: time.Now().Add(time.Hour)},
	} {
		wantErr(t, "CreateSession("+name+")", s.CreateSession(ctx, &bad), registry.ErrInvalid)
	}
	dup := *sess
	wantErr(t, "CreateSession(id in use)", s.CreateSession(ctx, &dup), registry.ErrConflict)

	// Expiry: a session stops working at ExpiresAt, and the cleanup removes it.
	short := mustSession(t, s, u.ID, 300*time.Millisecond)
	past := mustSession(t, s, other.ID, -time.Second)
	_, err = s.SessionByID(ctx, past.ID)
	wantErr(t, "SessionByID(expired at creation)", err, registry.ErrNotFound)
	if _, err := s.SessionByID(ctx, short.ID); err != nil {
		t.Fatalf("SessionByID before expiry: %v", err)
	}
	time.Sleep(time.Until(short.ExpiresAt) + 10*time.Millisecond)
	_, err = s.SessionByID(ctx, short.ID)
	wantErr(t, "SessionByID(expired)", err, registry.ErrNotFound)
	wantErr(t, "TouchSession(expired)", s.TouchSession(ctx, short.ID, time.Now()), registry.ErrNotFound)
	if n, err := s.DeleteExpiredSessions(ctx); err != nil || n != 2 {
		t.Errorf("DeleteExpiredSessions = %d, %v; want 2", n, err)
	}
	if n, err := s.DeleteExpiredSessions(ctx); err != nil || n != 0 {
		t.Errorf("DeleteExpiredSessions again = %d, %v; want 0", n, err)
	}
	if _, err := s.SessionByID(ctx, sess.ID); err != nil {
		t.Errorf("a live session was cleaned up: %v", err)
	}

	// Logout, and logout everywhere.
	if err := s.DeleteSession(ctx, sess.ID); err != nil {
		t.Fatal(err)
	}
	_, err = s.SessionByID(ctx, sess.ID)
	wantErr(t, "SessionByID after logout", err, registry.ErrNotFound)
	wantErr(t, "DeleteSession again", s.DeleteSession(ctx, sess.ID), registry.ErrNotFound)
	for range 3 {
		mustSession(t, s, u.ID, time.Hour)
	}
	kept := mustSession(t, s, other.ID, time.Hour)
	if n, err := s.DeleteUserSessions(ctx, u.ID); err != nil || n != 3 {
		t.Errorf("DeleteUserSessions = %d, %v; want 3", n, err)
	}
	if _, err := s.SessionByID(ctx, kept.ID); err != nil {
		t.Errorf("another user's session was deleted: %v", err)
	}
}

// testLoginFailures: failures count per login (in any case) and source address; an address
// that guessed wrong waits, doubling, while the same login from another address does not; a
// success (ClearLoginFailures) resets only its own address; concurrent attempts cannot slip
// past the count.
func testLoginFailures(t *testing.T, db Opener) {
	s, ctx := open(t, db), t.Context()
	policy := registry.LoginPolicy{Free: 2, Base: time.Second, Max: 4 * time.Second}
	t0 := time.Now().UTC().Truncate(time.Millisecond)
	try := func(login, addr string, at time.Duration, wantWait time.Duration, wantN int) {
		t.Helper()
		wait, n, err := s.TryLogin(ctx, login, addr, t0.Add(at), policy)
		if err != nil || wait != wantWait || n != wantN {
			t.Errorf("TryLogin(%q, %q, t0+%v) = %v, %d, %v; want %v, %d", login, addr, at, wait, n, err, wantWait, wantN)
		}
	}
	const a, b = "198.51.100.7", "203.0.113.9"
	ms := time.Millisecond
	try("Ivanova", a, 0, 0, 0)
	try("ivanova", a, 10*ms, 0, 1)
	try("IVANOVA", a, 20*ms, 990*ms, 2) // two free failures, then 1 s after the latest
	try("ivanova", a, 30*ms, 980*ms, 2) // a refused attempt is not a failure: the wait runs on
	try("ivanova", b, 30*ms, 0, 0)      // the owner, from elsewhere, is not slowed down
	try("petrov", a, 30*ms, 0, 0)
	try("ivanova", a, 1010*ms, 0, 2)
	try("ivanova", a, 1020*ms, 1990*ms, 3) // 2 s
	try("ivanova", a, 3010*ms, 0, 3)
	try("ivanova", a, 3020*ms, 3990*ms, 4) // 4 s
	try("ivanova", a, 7010*ms, 0, 4)
	try("ivanova", a, 7020*ms, 3990*ms, 5) // at most Max
	if err := s.ClearLoginFailures(ctx, "IvAnOvA", a); err != nil {
		t.Fatal(err)
	}
	try("ivanova", a, 7030*ms, 0, 0)
	try("ivanova", b, 7030*ms, 0, 1) // another address's failures stay
	if err := s.ClearLoginFailures(ctx, "nobody", a); err != nil {
		t.Errorf("ClearLoginFailures(nobody): %v", err)
	}
	// Failures older than MaxLoginWindow do not count.
	for i := range 2 {
		try("sidorova", a, -2*registry.MaxLoginWindow+time.Duration(i)*ms, 0, i)
	}
	try("sidorova", a, -2*registry.MaxLoginWindow+5*ms, 996*ms, 2)
	try("sidorova", a, 0, 0, 0)

	// Twenty guesses at once from one address: only the free ones get through.
	var wg sync.WaitGroup
	var mu sync.Mutex
	passed := 0
	at := t0.Add(time.Minute)
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			wait, _, err := s.TryLogin(ctx, "kuznetsova", a, at, registry.DefaultLoginPolicy)
			if err != nil {
				t.Error(err)
				return
			}
			if wait == 0 {
				mu.Lock()
				passed++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if passed != registry.DefaultLoginPolicy.Free {
		t.Errorf("%d of 20 concurrent attempts passed, want %d", passed, registry.DefaultLoginPolicy.Free)
	}
}
