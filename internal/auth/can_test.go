package auth

import (
	"slices"
	"testing"
)

// TestCan pins the whole table: every action against every role, so a change of who may
// do what is a deliberate edit here too.
func TestCan(t *testing.T) {
	const (
		c = RoleClerk
		h = RoleHead
		a = RoleArchivist
		x = RoleAdmin
	)
	want := map[Action][]string{
		ActEditDraft:           {c, h, x},
		ActRegister:            {h, x},
		ActSign:                {h, x},
		ActCancel:              {h, x},
		ActAcknowledge:         {c, h, x},
		ActReadArchive:         {c, h, a, x},
		ActExport:              {h, a, x},
		ActAudit:               {h, a, x},
		ActImport:              {a, x},
		ActManageJournals:      {h, x},
		ActManageOrganizations: {x},
		ActCheckpoint:          {x},
		ActBatch:               {c, h, x},
		ActManageTemplates:     {c, h, x},
		ActApprovalSettings:    {h, x},
		ActManageCases:         {h, a, x},
		ActPublish:             {h, x},
		ActOthersCalendar:      {h, x},
		ActMarkAnyControl:      {h, x},
	}
	if got := len(Actions()); got != len(want) {
		t.Fatalf("the table has %d actions, the test knows %d", got, len(want))
	}
	for act, roles := range want {
		for _, role := range append(slices.Clone(Roles), "", "root") {
			if got, exp := Can(role, act), slices.Contains(roles, role); got != exp {
				t.Errorf("Can(%q, %s) = %v, want %v", role, act, got, exp)
			}
		}
	}
	if Can(RoleAdmin, "no-such-action") {
		t.Error("an unknown action is allowed")
	}
}

func TestRoleName(t *testing.T) {
	for _, tc := range []struct{ role, want string }{
		{RoleClerk, "делопроизводитель"}, {RoleHead, "руководитель"},
		{RoleArchivist, "архивариус"}, {RoleAdmin, "администратор"}, {"root", "root"},
	} {
		if got := RoleName(tc.role); got != tc.want {
			t.Errorf("RoleName(%q) = %q, want %q", tc.role, got, tc.want)
		}
	}
}
