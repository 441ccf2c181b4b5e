package web

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"orders/internal/auth"
	"orders/internal/registry/sqlite"
)

// TestPagesAnswer503WhenTheRegistryIsDown: with the registry's database unreachable, a page
// says so with 503 and Retry-After — not «Внутренняя ошибка» with a 500.
func TestPagesAnswer503WhenTheRegistryIsDown(t *testing.T) {
	store, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "registry.db"))
	if err != nil {
		t.Fatal(err)
	}
	store.Close()
	s := New(Config{Store: store, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	e := gin.New()
	s.Mount(e)
	req := httptest.NewRequest("GET", "/orders", nil)
	req.AddCookie(&http.Cookie{Name: auth.SessionCookie, Value: "some-session"})
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("GET /orders with the registry down: %d, Retry-After %q; want 503 with Retry-After", rec.Code, rec.Header().Get("Retry-After"))
	}
	if !strings.Contains(rec.Body.String(), "Реестр временно недоступен") {
		t.Errorf("the page does not say the registry is unavailable: %s", rec.Body)
	}
}
