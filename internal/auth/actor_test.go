package auth

import "testing"

func TestActorName(t *testing.T) {
	for actor, want := range map[string]string{
		"user:zubova (Зубова А.Н.)": "Зубова А.Н.",
		"user:zubova":               "zubova",
		"token:0193a3b4":            "токен API 0193a3b4",
		"head":                      "head",
		"user:x (a (b))":            "a (b)",
	} {
		if got := ActorName(actor); got != want {
			t.Errorf("ActorName(%q) = %q, want %q", actor, got, want)
		}
	}
}
