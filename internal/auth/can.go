package auth

// Action is something a caller may be allowed to do. The API's routes and the web pages ask
// Can about the same actions, so a page never offers a button the API would refuse.
type Action string

// The actions of the service. Reading an order, its documents, signatures, audit trail and
// acknowledgements is open to every role of its organization and needs no action.
const (
	// ActEditDraft: create, edit, delete, preview and render again a draft.
	ActEditDraft Action = "edit-draft"
	// ActRegister: give a draft the next number of a journal.
	ActRegister Action = "register"
	// ActSign: sign with the organization's key, or add a signature made elsewhere.
	ActSign Action = "sign"
	// ActCancel: cancel a registered or signed order.
	ActCancel Action = "cancel"
	// ActAcknowledge: record that a person of the list has read the order.
	ActAcknowledge Action = "acknowledge"
	// ActReadArchive: search the archive.
	ActReadArchive Action = "read-archive"
	// ActExport: download a period's signed documents as a ZIP.
	ActExport Action = "export"
	// ActAudit: read and verify the audit trail.
	ActAudit Action = "audit"
	// ActImport: bring in an order registered elsewhere.
	ActImport Action = "import"
	// ActManageJournals: create and change registration journals.
	ActManageJournals Action = "manage-journals"
	// ActManageOrganizations: letterhead profiles and signing certificates.
	ActManageOrganizations Action = "manage-organizations"
	// ActCheckpoint: write an audit checkpoint now.
	ActCheckpoint Action = "checkpoint"
	// ActBatch: issue and cancel batches of orders.
	ActBatch Action = "batch"
	// ActManageTemplates: save and delete the organization's order templates.
	ActManageTemplates Action = "manage-templates"
	// ActApprovalSettings: require a completed approval route before registering.
	ActApprovalSettings Action = "approval-settings"
	// ActManageCases: keep the nomenclature of cases, file orders, inventories.
	ActManageCases Action = "manage-cases"
	// ActPublish: let the public check show an order's text.
	ActPublish Action = "publish"
	// ActOthersCalendar: give out the deadline calendar of another person.
	ActOthersCalendar Action = "others-calendar"
	// ActMarkAnyControl: mark any control item executed, not only one's own.
	ActMarkAnyControl Action = "mark-any-control"
)

// permissions is the one table of who may do what: a clerk prepares, a head registers and
// signs, an archivist reads, exports and imports, an admin does everything.
var permissions = map[Action][]string{
	ActEditDraft:           {RoleClerk, RoleHead, RoleAdmin},
	ActRegister:            {RoleHead, RoleAdmin},
	ActSign:                {RoleHead, RoleAdmin},
	ActCancel:              {RoleHead, RoleAdmin},
	ActAcknowledge:         {RoleClerk, RoleHead, RoleAdmin},
	ActReadArchive:         {RoleClerk, RoleHead, RoleArchivist, RoleAdmin},
	ActExport:              {RoleHead, RoleArchivist, RoleAdmin},
	ActAudit:               {RoleHead, RoleArchivist, RoleAdmin},
	ActImport:              {RoleArchivist, RoleAdmin},
	ActManageJournals:      {RoleHead, RoleAdmin},
	ActManageOrganizations: {RoleAdmin},
	ActCheckpoint:          {RoleAdmin},
	ActBatch:               {RoleClerk, RoleHead, RoleAdmin},
	ActManageTemplates:     {RoleClerk, RoleHead, RoleAdmin},
	ActApprovalSettings:    {RoleHead, RoleAdmin},
	ActManageCases:         {RoleHead, RoleArchivist, RoleAdmin},
	ActPublish:             {RoleHead, RoleAdmin},
	ActOthersCalendar:      {RoleHead, RoleAdmin},
	ActMarkAnyControl:      {RoleHead, RoleAdmin},
}

// Actions lists every action of the table, for tests and documentation.
func Actions() []Action {
	out := make([]Action, 0, len(permissions))
	for a := range permissions {
		out = append(out, a)
	}
	return out
}

// Can reports whether a role may do an action; an unknown role or action may do nothing.
func Can(role string, a Action) bool {
	for _, r := range permissions[a] {
		if r == role {
			return true
		}
	}
	return false
}

// roleNames are the roles as a person reads them.
var roleNames = map[string]string{
	RoleClerk: "делопроизводитель", RoleHead: "руководитель",
	RoleArchivist: "архивариус", RoleAdmin: "администратор",
}

// RoleName is a role as a person reads it; an unknown role is shown as it is.
func RoleName(r string) string {
	if n, ok := roleNames[r]; ok {
		return n
	}
	return r
}
