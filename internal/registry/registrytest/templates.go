package registrytest

import (
	"sync"
	"testing"

	"orders/internal/registry"
)

func tmpl(org, name, body string) *registry.Template {
	return &registry.Template{OrgID: org, Name: name, Title: "Площадки " + name, Mode: registry.TemplateOneOrder,
		Format: registry.TemplateJSON, Body: []byte(body), Constants: []byte(`{"учебный_год":"2025-2026"}`), CreatedBy: "user:zubova"}
}

func testTemplates(t *testing.T, db Opener) {
	s, ctx := open(t, db), t.Context()
	v1 := tmpl("org-a", "platforms", `{"title":"v1"}`)
	if err := s.SaveTemplate(ctx, v1, 0); err != nil {
		t.Fatalf("SaveTemplate: %v", err)
	}
	if v1.Version != 1 {
		t.Errorf("first version = %d, want 1", v1.Version)
	}
	isUTC(t, "template CreatedAt", v1.CreatedAt)
	wantErr(t, "a new template under a taken name", s.SaveTemplate(ctx, tmpl("org-a", "platforms", `{}`), 0), registry.ErrConflict)
	v2 := tmpl("org-a", "platforms", `{"title":"v2"}`)
	if err := s.SaveTemplate(ctx, v2, 1); err != nil || v2.Version != 2 {
		t.Fatalf("SaveTemplate from 1: version %d, %v", v2.Version, err)
	}
	wantErr(t, "a save from a version no longer the latest", s.SaveTemplate(ctx, tmpl("org-a", "platforms", `{}`), 1), registry.ErrConflict)
	if err := s.SaveTemplate(ctx, tmpl("org-a", "appoint", `{"title":"a"}`), 0); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveTemplate(ctx, tmpl("org-b", "platforms", `{"title":"b"}`), 0); err != nil {
		t.Fatal(err)
	}

	for _, c := range []struct {
		version int
		body    string
	}{{0, `{"title":"v2"}`}, {2, `{"title":"v2"}`}, {1, `{"title":"v1"}`}} {
		got, err := s.GetTemplate(ctx, "org-a", "platforms", c.version)
		if err != nil {
			t.Fatalf("GetTemplate(%d): %v", c.version, err)
		}
		if string(got.Body) != c.body || string(got.Constants) != `{"учебный_год":"2025-2026"}` || got.Title != "Площадки platforms" ||
			got.Mode != registry.TemplateOneOrder || got.Format != registry.TemplateJSON || got.CreatedBy != "user:zubova" {
			t.Errorf("GetTemplate(%d) = %+v", c.version, got)
		}
		isUTC(t, "template CreatedAt", got.CreatedAt)
	}
	_, err := s.GetTemplate(ctx, "org-a", "platforms", 3)
	wantErr(t, "a version never saved", err, registry.ErrNotFound)
	_, err = s.GetTemplate(ctx, "org-c", "platforms", 0)
	wantErr(t, "another organization's template", err, registry.ErrNotFound)

	list, err := s.ListTemplates(ctx, "org-a")
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].Name != "appoint" || list[0].Version != 1 || list[1].Name != "platforms" || list[1].Version != 2 {
		t.Errorf("ListTemplates = %+v, want appoint v1 and platforms v2", list)
	}
	for _, tp := range list {
		if tp.Body != nil || tp.Constants != nil || tp.OrgID != "org-a" {
			t.Errorf("listed template carries its body or another organization: %+v", tp)
		}
	}
	vs, err := s.TemplateVersions(ctx, "org-a", "platforms")
	if err != nil || len(vs) != 2 || vs[0].Version != 2 || vs[1].Version != 1 {
		t.Errorf("TemplateVersions = %+v, %v; want 2, 1", vs, err)
	}
	_, err = s.TemplateVersions(ctx, "org-b", "appoint")
	wantErr(t, "versions of no template", err, registry.ErrNotFound)

	for name, bad := range map[string]*registry.Template{
		"name":      tmpl("org-a", "Площадки", `{}`),
		"org":       tmpl("", "x", `{}`),
		"mode":      func() *registry.Template { x := tmpl("org-a", "x", `{}`); x.Mode = "rows"; return x }(),
		"format":    func() *registry.Template { x := tmpl("org-a", "x", `{}`); x.Format = "doc"; return x }(),
		"body":      tmpl("org-a", "x", ``),
		"constants": func() *registry.Template { x := tmpl("org-a", "x", `{}`); x.Constants = []byte(`[1]`); return x }(),
	} {
		wantErr(t, "invalid "+name, s.SaveTemplate(ctx, bad, 0), registry.ErrInvalid)
	}

	if err := s.DeleteTemplate(ctx, "org-a", "platforms"); err != nil {
		t.Fatal(err)
	}
	_, err = s.GetTemplate(ctx, "org-a", "platforms", 1)
	wantErr(t, "a deleted template's old version", err, registry.ErrNotFound)
	wantErr(t, "deleting twice", s.DeleteTemplate(ctx, "org-a", "platforms"), registry.ErrNotFound)
	if got, err := s.GetTemplate(ctx, "org-b", "platforms", 0); err != nil || string(got.Body) != `{"title":"b"}` {
		t.Errorf("org-b's template of the same name: %v, %v", got, err)
	}
}

// Two editors saving from the same version, through two stores as two processes would: one
// version is stored, the other save is a conflict.
func testTemplateSaveRace(t *testing.T, db Opener) {
	s1, s2, ctx := open(t, db), open(t, db), t.Context()
	if err := s1.SaveTemplate(ctx, tmpl("org-a", "race", `{"v":1}`), 0); err != nil {
		t.Fatal(err)
	}
	for round := range 10 {
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, s := range []registry.Store{s1, s2} {
			wg.Go(func() { errs[i] = s.SaveTemplate(ctx, tmpl("org-a", "race", `{}`), round+1) })
		}
		wg.Wait()
		if (errs[0] == nil) == (errs[1] == nil) {
			t.Fatalf("round %d: errors %v and %v, want exactly one conflict", round, errs[0], errs[1])
		}
		for _, err := range errs {
			if err != nil {
				wantErr(t, "the losing save", err, registry.ErrConflict)
			}
		}
	}
	vs, err := s1.TemplateVersions(ctx, "org-a", "race")
	if err != nil || len(vs) != 11 {
		t.Errorf("%d versions, %v; want 11", len(vs), err)
	}
}
