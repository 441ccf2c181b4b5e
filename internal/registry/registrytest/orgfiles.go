package registrytest

import (
	"bytes"
	"errors"
	"testing"

	"orders/internal/registry"
)

// testOrganizationFiles: the emblem and the letterhead are kept apart from the profile — a
// PUT of the profile keeps them, each is set and removed alone, the organization says which
// it has, and an organization that does not exist is neither created nor read.
func testOrganizationFiles(t *testing.T, db Opener) {
	s, ctx := open(t, db), t.Context()
	org := &registry.Organization{ID: "org-a", Name: "Управление", Profile: []byte(`{"name":"Управление"}`)}
	if err := s.PutOrganization(ctx, org); err != nil {
		t.Fatal(err)
	}
	for _, f := range []registry.OrgFile{registry.OrgEmblem, registry.OrgLetterhead} {
		if got, err := s.OrganizationFile(ctx, "org-a", f); err != nil || got != nil {
			t.Errorf("%s before any upload = %q, %v; want nil, nil", f, got, err)
		}
	}
	emblem, letterhead := []byte("\x89PNG emblem"), []byte("PK letterhead")
	if err := s.SetOrganizationFile(ctx, "org-a", registry.OrgEmblem, emblem); err != nil {
		t.Fatal(err)
	}
	if err := s.SetOrganizationFile(ctx, "org-a", registry.OrgLetterhead, letterhead); err != nil {
		t.Fatal(err)
	}
	// A new profile must not drop the files.
	org.Profile = []byte(`{"name":"Управление образования"}`)
	if err := s.PutOrganization(ctx, org); err != nil {
		t.Fatal(err)
	}
	for f, want := range map[registry.OrgFile][]byte{registry.OrgEmblem: emblem, registry.OrgLetterhead: letterhead} {
		if got, err := s.OrganizationFile(ctx, "org-a", f); err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s = %q, %v; want %q", f, got, err, want)
		}
	}
	got, err := s.GetOrganization(ctx, "org-a")
	if err != nil {
		t.Fatal(err)
	}
	if !got.HasEmblem || !got.HasLetterhead || string(got.Profile) != string(org.Profile) {
		t.Errorf("GetOrganization after uploads: %+v", got)
	}
	list, err := s.ListOrganizations(ctx)
	if err != nil || len(list) != 1 || !list[0].HasEmblem || !list[0].HasLetterhead {
		t.Errorf("ListOrganizations after uploads = %+v, %v", list, err)
	}

	if err := s.SetOrganizationFile(ctx, "org-a", registry.OrgEmblem, nil); err != nil {
		t.Fatal(err)
	}
	if got, err := s.OrganizationFile(ctx, "org-a", registry.OrgEmblem); err != nil || got != nil {
		t.Errorf("emblem after removal = %q, %v; want nil", got, err)
	}
	if got, _ := s.GetOrganization(ctx, "org-a"); got == nil || got.HasEmblem || !got.HasLetterhead {
		t.Errorf("removing the emblem touched the letterhead: %+v", got)
	}

	wantErr(t, "SetOrganizationFile(unknown)", s.SetOrganizationFile(ctx, "org-x", registry.OrgEmblem, emblem), registry.ErrNotFound)
	if _, err := s.GetOrganization(ctx, "org-x"); !errors.Is(err, registry.ErrNotFound) {
		t.Errorf("SetOrganizationFile created an organization: %v", err)
	}
	if _, err := s.OrganizationFile(ctx, "org-x", registry.OrgEmblem); !errors.Is(err, registry.ErrNotFound) {
		t.Errorf("OrganizationFile(unknown) = %v; want ErrNotFound", err)
	}
	wantErr(t, "SetOrganizationFile(bad file)", s.SetOrganizationFile(ctx, "org-a", "signing", emblem), registry.ErrInvalid)
}
