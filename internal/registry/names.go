package registry

// StatusNames are the Russian names of render statuses, as the pages and the exported CSV
// files show them.
var StatusNames = map[Status]string{
	StatusDraft: "не отправлен", StatusQueued: "в очереди", StatusRendering: "формируется",
	StatusRendered: "готов", StatusFailed: "ошибка", StatusCancelled: "остановлен",
}

// StateNames are the Russian names of lifecycle states.
var StateNames = map[State]string{
	StateDraft: "проект", StateRegistered: "зарегистрирован", StateSigned: "подписан", StateCancelled: "отменён",
}
